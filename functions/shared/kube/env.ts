import * as z from 'zod';
import { json, kubeAuth } from '../env.js';
import { EksPoolSchema, TakeoverRoleArnsSchema } from './pool.js';

/**
 * What the functions that reach Kubernetes read (provisioner, reconciler, reveal): the EKS pool,
 * the takeover roles, how to authenticate, and locally the kubeconfig the local runtime writes
 * (`KUBECONFIG`, never set in AWS).
 */
export const kubeEnv = {
  /** Every region's EKS clusters; `eksPoolOf(env.EKS_CLUSTERS, region)` gives each its region. */
  EKS_CLUSTERS: json(EksPoolSchema),
  TAKEOVER_ROLE_ARNS: json(TakeoverRoleArnsSchema).prefault('{}'),
  KUBE_AUTH: kubeAuth(),
  KUBECONFIG: z.string().min(1).optional(),
};
