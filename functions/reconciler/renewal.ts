/**
 * Restarts on certificate renewal (docs/endpoints.md, "Renewal"; docs/decisions.md D35). A TLS
 * cluster serves the certificate cert-manager issues into `stratus-tls`; cert-manager renews it
 * (by default 30 days before its 90 days end) and rewrites the Secret. Engines that read the files
 * only at start (`TlsSupport.renewal` of kind `restart`, tls.ts) would keep serving the old one until
 * it expires, so the drift sweep (drift.ts) rolls their pods when the certificate changes:
 *
 * - cert-manager sets the Certificate's `status.notBefore` at each issuance;
 * - the restart target (the StatefulSet, or the operator's resource) carries the `notBefore` its
 *   pods serve in the annotation `stratus.dev/tls-not-before`;
 * - absent: it is recorded, nothing more (its pods cannot have started before the Secret existed,
 *   and the first sweep after the cluster became READY finds it long before its first renewal);
 * - different: one merge patch sets it and the pod template's `stratus.dev/tls-restarted-for`,
 *   which rolls the pods as `kubectl rollout restart` does. Keyed by `notBefore`, the patch is the
 *   same however often it is sent: a second sweep finds the annotation equal and does nothing.
 *
 * The patch is recorded under its own field manager (RENEWAL_FIELD_MANAGER), not the provisioner's:
 * the provisioner's server-side apply does not render these annotations, and a field another
 * manager owns is not removed by an apply that leaves it out.
 */
import type { ClusterSpec } from '../shared/domain/cluster.js';
import type { ClusterRecord } from '../shared/domain/records.js';
import { DATABASE_TLS_CERTIFICATE, type RestartTarget, tlsOn } from '../shared/engines/tls.js';
import type { Blueprint, KubeObject } from '../shared/engines/types.js';

/** On the restart target: the `notBefore` of the certificate its pods serve. */
export const TLS_NOT_BEFORE_ANNOTATION = 'stratus.dev/tls-not-before';
/** On its pod template: the `notBefore` its pods were last restarted for (a change rolls them). */
export const TLS_RESTARTED_FOR_ANNOTATION = 'stratus.dev/tls-restarted-for';
/** Whose the annotations are in `managedFields` (the provisioner applies as `stratus`). */
export const RENEWAL_FIELD_MANAGER = 'stratus-reconciler';

/** What the sweep does about a cluster's certificate. */
export type RenewalDecision =
  | { readonly action: 'none' }
  | {
      /** `record`: the annotation only (no restart); `restart`: with the pod template's. */
      readonly action: 'record' | 'restart';
      readonly target: RestartTarget;
      /** The certificate's `status.notBefore`. */
      readonly notBefore: string;
      /** The one the pods served, for `restart`. */
      readonly previous?: string;
      /** The JSON merge patch of the target (RFC 7386). */
      readonly patch: Record<string, unknown>;
    };

const NONE: RenewalDecision = { action: 'none' };

/** `{a: {b: {c: value}}}` for the path `a.b.c`. */
function nested(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/**
 * Pure: what to do about the renewal of a cluster's certificate, from its item and the live objects
 * of its namespace (with the Certificate's `status.notBefore` and the target's annotations). Nothing
 * unless the cluster is READY, idle and not under maintenance, serves TLS with an engine that must
 * restart, and its Certificate has been issued.
 */
export function decideRenewal(
  cluster: Pick<ClusterRecord, 'status' | 'activeOperationId' | 'maintenance'>,
  blueprint: Pick<Blueprint, 'tls'>,
  spec: ClusterSpec,
  live: readonly KubeObject[],
): RenewalDecision {
  if (cluster.status !== 'READY' || cluster.activeOperationId || cluster.maintenance) return NONE;
  const renewal = blueprint.tls?.renewal;
  if (!tlsOn(spec) || renewal?.kind !== 'restart') return NONE;
  const certificate = live.find(
    (o) =>
      o.apiVersion === 'cert-manager.io/v1' &&
      o.kind === 'Certificate' &&
      o.metadata.name === DATABASE_TLS_CERTIFICATE,
  );
  const notBefore = (certificate?.status as { notBefore?: unknown } | undefined)?.notBefore;
  if (typeof notBefore !== 'string' || notBefore === '') return NONE;
  const target = renewal.target(spec);
  const object = live.find(
    (o) => o.apiVersion === target.apiVersion && o.kind === target.kind && o.metadata.name === target.name,
  );
  if (!object) return NONE;
  const served = object.metadata.annotations?.[TLS_NOT_BEFORE_ANNOTATION];
  if (served === notBefore) return NONE;
  const metadata = { metadata: { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: notBefore } } };
  if (served === undefined) return { action: 'record', target, notBefore, patch: metadata };
  return {
    action: 'restart',
    target,
    notBefore,
    previous: served,
    // One request: the record and the restart together, so neither happens without the other.
    patch: { ...metadata, ...nested(target.podAnnotations, { [TLS_RESTARTED_FOR_ANNOTATION]: notBefore }) },
  };
}

/**
 * What the drift sweep keeps of a listed object for the renewal (its lists drop annotations and
 * status): the annotation of the restart target, the Certificate's `status.notBefore`.
 */
export function renewalFields(o: KubeObject): {
  annotations?: Record<string, string>;
  status?: { notBefore: string };
} {
  const served = o.metadata.annotations?.[TLS_NOT_BEFORE_ANNOTATION];
  const notBefore = (o.status as { notBefore?: unknown } | undefined)?.notBefore;
  return {
    ...(served !== undefined ? { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: served } } : {}),
    ...(o.kind === 'Certificate' && typeof notBefore === 'string' ? { status: { notBefore } } : {}),
  };
}
