import type { ApiResponse } from '../api/http.js';
import { connectionDto, readyCluster } from '../api/routes/connection.js';
import type { RequestContext } from '../api/routes.js';
import { assertHomeRegion } from '../shared/domain/plan.js';
import { readEnv } from '../shared/env.js';
import { ProblemError } from '../shared/errors.js';
import { type KubeAccess, kubeAccess } from '../shared/kube/access.js';
import { eksPoolOf } from '../shared/kube/pool.js';
import { RevealEnv } from './env.js';

let kube: KubeAccess | undefined;
/** Built on the first reveal of a warm function (the handler checked the environment at cold start). */
function kubeAccessFromEnv(): KubeAccess {
  if (kube) return kube;
  const env = readEnv(RevealEnv);
  kube = kubeAccess({
    auth: env.KUBE_AUTH,
    region: env.STRATUS_REGION,
    eksClusters: eksPoolOf(env.EKS_CLUSTERS, env.STRATUS_REGION),
    takeoverRoleArns: env.TAKEOVER_ROLE_ARNS,
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
  });
  return kube;
}

/**
 * The credential's value, read from the cluster's Secret in Kubernetes (it is stored nowhere
 * else). Admin only; every reveal is written to the audit trail before the value is returned.
 */
export async function revealConnection(ctx: RequestContext): Promise<ApiResponse> {
  const { cluster, conn } = await readyCluster(ctx);
  // Only the managing region reaches the cluster's Kubernetes and writes its audit trail.
  assertHomeRegion(cluster, ctx.apiRegion);
  const ref = conn.credentialRef;
  if (!ref || !cluster.placement)
    throw new ProblemError('CLUSTER_NOT_READY', 'This cluster has no credential to reveal');
  let value: string | undefined;
  try {
    const client = await kubeAccessFromEnv().client(cluster.placement);
    const secret = await client.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: ref.namespace },
    });
    const data = (secret?.data ?? {}) as Record<string, string>;
    value = data[ref.key] ? Buffer.from(data[ref.key] as string, 'base64').toString('utf8') : undefined;
  } catch (e) {
    throw new ProblemError(
      'KUBERNETES_UNAVAILABLE',
      'The credential could not be read from Kubernetes; retry later',
      {},
      { cause: e },
    );
  }
  if (value === undefined)
    throw new ProblemError('CLUSTER_NOT_READY', 'The credential does not exist (yet) in Kubernetes');
  await ctx.store.audit.record({
    action: 'connection.reveal',
    tenantId: ctx.principal.tenantId,
    actor: ctx.principal.keyId,
    target: cluster.clusterId,
    correlationId: ctx.correlationId,
    at: ctx.now.toISOString(),
  });
  return { status: 200, body: { ...connectionDto(cluster, conn), secret: value } };
}
