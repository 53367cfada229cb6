import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient, type KubeClient } from '../../../functions/shared/kube/client.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { kubeConfigFor, startTestStandin } from '../../helpers/kube.js';

/**
 * client-node's models rename `from` and `default`; these fields must still reach the API server
 * and come back under their real names (a dropped NetworkPolicy `from` allows all traffic).
 */
describe('Function: createKubeClient field fidelity', () => {
  let standin: KubeStandin;
  let kube: KubeClient;

  beforeAll(async () => {
    standin = await startTestStandin();
    kube = createKubeClient(kubeConfigFor(standin));
    await kube.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fid' } }]);
  });
  afterAll(async () => standin.stop());

  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-same-namespace', namespace: 'fid' },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 6333, protocol: 'TCP' }] }],
    },
  };
  const limits = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'limits', namespace: 'fid' },
    spec: {
      limits: [
        { type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m' } },
      ],
    },
  };

  it('sends NetworkPolicy ingress `from` and LimitRange `default` as written', async () => {
    await kube.apply([policy, limits]);
    const stored = standin.list();
    const np = stored.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-same-namespace',
    ) as unknown as typeof policy;
    const lr = stored.find(
      (o) => o.kind === 'LimitRange' && o.metadata.name === 'limits',
    ) as unknown as typeof limits;
    expect(np.spec.ingress[0]?.from).toEqual([{ podSelector: {} }]);
    expect(lr.spec.limits[0]?.default).toEqual({ cpu: '500m', memory: '512Mi' });
  });

  it('reads them back under their real names, by get and by list', async () => {
    const got = (await kube.get(policy)) as unknown as typeof policy;
    expect(got.spec.ingress[0]?.from).toEqual([{ podSelector: {} }]);
    expect(JSON.stringify(got)).not.toContain('_from');
    const [listed] = (await kube.list('v1', 'LimitRange', { namespace: 'fid' })) as unknown as Array<
      typeof limits
    >;
    expect(listed?.spec.limits[0]?.default).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(JSON.stringify(listed)).not.toContain('_default');
  });
});
