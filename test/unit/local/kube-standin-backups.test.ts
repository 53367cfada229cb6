import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { simulatedBackups } from '../../../local/kube-standin/backups.js';

const job = (uid: string, uri?: string): KubeObject =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'backup-bk-1', namespace: 'stratus-cl-1', uid },
    spec: {
      template: {
        spec: { containers: [{ name: 'upload', env: uri ? [{ name: 'BACKUP_URI', value: uri }] : [] }] },
      },
    },
  }) as KubeObject;

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('Function: simulatedBackups', () => {
  it('reports a backup Job complete only once its object is written, and writes it once', async () => {
    // Prepare
    const puts: string[] = [];
    const sim = simulatedBackups({
      put: async (bucket, key) => {
        puts.push(`${bucket}/${key}`);
      },
      count: async () => 0,
    });
    const rule = sim.statusRules['batch/v1/Job'];
    const obj = job('u1', 's3://b/tn/cl/bk-1/');

    // Act
    const first = rule?.(obj);
    const again = rule?.(obj);
    await flush();
    const done = rule?.(obj);

    // Assess
    expect(first).toBeUndefined();
    expect(again).toBeUndefined();
    expect(done).toMatchObject({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    expect(puts).toEqual(['b/tn/cl/bk-1/dump']);
  });

  it('reports the Job Failed when the object store refuses the write', async () => {
    // Prepare
    const sim = simulatedBackups({
      put: async () => {
        throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      },
      count: async () => 0,
    });
    const rule = sim.statusRules['batch/v1/Job'];
    const obj = job('u2', 's3://gone/tn/cl/bk-1/');

    // Act
    rule?.(obj);
    await flush();
    const failed = rule?.(obj);

    // Assess
    expect(failed).toMatchObject({
      conditions: [
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'NoSuchBucket' },
      ],
    });
  });

  it('completes other Jobs at once, writing nothing', () => {
    // Prepare
    const sim = simulatedBackups({
      put: async () => {
        throw new Error('not expected');
      },
      count: async () => 0,
    });

    // Assess
    expect(sim.statusRules['batch/v1/Job']?.(job('u3'))).toMatchObject({ succeeded: 1 });
  });
});
