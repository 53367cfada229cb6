import { describe, expect, it } from 'vitest';
import {
  operationErrors,
  publicOperationError,
  redactInternals,
} from '../../../functions/shared/domain/operation-errors.js';

/** What a real EKS 403 says: the provisioner's assumed role, the account, the API server. */
const EKS_FORBIDDEN =
  'apply StatefulSet stratus-cl-1/qdrant: statefulsets.apps "qdrant" is forbidden: User ' +
  '"arn:aws:sts::123456789012:assumed-role/stratus-prod-Provisioner-1A2B3C/stratus-prod-provisioner" ' +
  'cannot patch resource "statefulsets" in API group "apps" in the namespace "stratus-cl-1" ' +
  '(https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com/apis/apps/v1, 10.0.12.7:443, key ASIAXAMPLEKEY0000001)';

describe('Function: redactInternals', () => {
  it('removes ARNs, account ids, role names, hostnames, addresses and access keys', () => {
    // Act
    const out = redactInternals(EKS_FORBIDDEN);

    // Assess
    for (const leak of [
      'arn:aws',
      '123456789012',
      'assumed-role',
      'stratus-prod-Provisioner',
      'eks.amazonaws.com',
      'ABCDEF0123456789',
      '10.0.12.7',
      'ASIAXAMPLEKEY0000001',
    ]) {
      expect(out).not.toContain(leak);
    }
    expect(out).toContain('cannot patch resource');
  });

  it('leaves ordinary text, versions and timestamps alone', () => {
    const text = 'Valkey 8.0.3 did not finish by 2026-11-22T10:00:00.000Z (3/3 replicas ready)';
    expect(redactInternals(text)).toBe(text);
  });

  it('redacts in-cluster service names and GovCloud or China partition ARNs', () => {
    const out = redactInternals(
      'dial valkey-0.valkey-headless.stratus-cl-1.svc.cluster.local; arn:aws-us-gov:iam::210987654321:role/x',
    );
    expect(out).not.toMatch(/svc\.cluster\.local|arn:aws|210987654321/);
  });
});

describe('Function: publicOperationError', () => {
  it('keeps the code and redacts and bounds the message', () => {
    const out = publicOperationError({ code: 'KUBERNETES_REJECTED', message: EKS_FORBIDDEN.repeat(5) });
    expect(out.code).toBe('KUBERNETES_REJECTED');
    expect(out.message.length).toBeLessThanOrEqual(500);
    expect(out.message).not.toContain('123456789012');
  });
});

describe('Object: operationErrors', () => {
  it('writes every tenant-facing message without internals', () => {
    const messages = [
      operationErrors.kubernetesRejected(),
      operationErrors.kubernetesUnavailable(),
      operationErrors.notReady(),
      operationErrors.deadlineExceeded('2026-11-22T10:00:00.000Z'),
      operationErrors.noCapacity('eu-west-1'),
      operationErrors.deliveryFailed(),
    ];
    for (const e of messages) {
      expect(e.code).toMatch(/^[A-Z_]+$/);
      expect(redactInternals(e.message)).toBe(e.message);
    }
  });
});
