/**
 * Envoy Gateway's `SecurityPolicy` (gateway.envoyproxy.io/v1alpha1), the part Stratus renders, as a
 * strict zod schema written by hand from Envoy Gateway's documentation (its API reference and the
 * tasks "IP Allowlist/Denylist", "API Key Authentication", "ListenerSets"): no npm package ships
 * its CRD or a validator, so rendered policies are checked against this instead (docs/endpoints.md).
 * Strict: a field Stratus does not render is refused, so a typo cannot pass.
 */
import * as z from 'zod';
import type { KubeObject } from '../../functions/shared/engines/types.js';

const NAME = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);

/**
 * `targetRefs`: the kinds the documentation lists as SecurityPolicy targets. TLSRoute is not one
 * (envoyproxy/gateway#6704): a TCP engine's policy targets its ListenerSet.
 */
const TargetRef = z.strictObject({
  group: z.literal('gateway.networking.k8s.io'),
  kind: z.enum(['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TCPRoute']),
  name: NAME,
  sectionName: NAME.optional(),
});

const CIDR = z.union([z.cidrv4(), z.cidrv6()]);

const AuthorizationRule = z.strictObject({
  name: z.string().min(1).max(253).optional(),
  action: z.enum(['Allow', 'Deny']),
  principal: z.strictObject({ clientCIDRs: z.array(CIDR).min(1) }),
});

const SecretRef = z.strictObject({
  group: z.literal('').optional(),
  kind: z.literal('Secret').optional(),
  name: NAME,
  namespace: NAME.optional(),
});

const ApiKeyAuth = z.strictObject({
  credentialRefs: z.array(SecretRef).min(1),
  extractFrom: z
    .array(
      z
        .strictObject({
          headers: z.array(z.string().min(1)).min(1).optional(),
          params: z.array(z.string().min(1)).min(1).optional(),
          cookies: z.array(z.string().min(1)).min(1).optional(),
        })
        .refine((e) => e.headers || e.params || e.cookies, 'extract from headers, params or cookies'),
    )
    .min(1),
  forwardClientIDHeader: z.string().optional(),
  sanitize: z.boolean().optional(),
});

export const SecurityPolicySchema = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('SecurityPolicy'),
  metadata: z.looseObject({ name: NAME, namespace: NAME }),
  spec: z
    .strictObject({
      targetRefs: z.array(TargetRef).min(1),
      authorization: z
        .strictObject({
          defaultAction: z.enum(['Allow', 'Deny']).optional(),
          rules: z.array(AuthorizationRule).min(1).optional(),
        })
        .optional(),
      apiKeyAuth: ApiKeyAuth.optional(),
    })
    .refine((s) => s.authorization || s.apiKeyAuth, 'a policy with neither authorization nor apiKeyAuth'),
});

/** Throws with every issue when `obj` is not a SecurityPolicy Stratus may render. */
export function validateSecurityPolicy(obj: KubeObject): void {
  const parsed = SecurityPolicySchema.safeParse(obj);
  if (!parsed.success) {
    throw new Error(`SecurityPolicy ${obj.metadata.name} is invalid:\n  ${z.prettifyError(parsed.error)}`);
  }
}
