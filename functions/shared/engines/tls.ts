/**
 * TLS to the database (issue #17, docs/endpoints.md "TLS end to end", docs/decisions.md D35): a
 * cluster created where its EKS clusters' gateways have a `databaseIssuer` (cert-manager) gets
 * `spec.tls`. Its engine then serves TLS (and refuses plain text, but PostgreSQL 16), with one
 * certificate per cluster that cert-manager issues from the
 * EKS cluster's `databaseIssuer` into the Secret `stratus-tls` (`tls.crt`, `tls.key`, `ca.crt`),
 * covering the in-cluster names its clients and peers use (and, for engines the gateway passes
 * TLS through to, the cluster's external hosts). The gateway reaches the engine:
 *
 * - `passthrough`: the engine terminates the client's TLS itself (the gateway routes by SNI and
 *   never sees plain text): Valkey, Dragonfly, MongoDB, ScyllaDB, PostgreSQL 17;
 * - `reencrypt`: HTTP engines (Qdrant): the gateway terminates TLS (it checks the API key), then
 *   opens TLS to the engine, verifying its certificate (a Gateway API `BackendTLSPolicy`);
 * - `terminate`: the engine cannot take TLS from a proxy (PostgreSQL 16 has no direct TLS): the
 *   gateway terminates TLS and the last hop, inside the EKS cluster, is plain TCP.
 *
 * Engines without `Blueprint.tls` (YugabyteDB) never get `spec.tls`.
 */
import type { ClusterSpec } from '../domain/cluster.js';
import { namespaceOf } from './tenancy.js';

/** The Certificate every TLS cluster has, and the Secret cert-manager writes it to. */
export const DATABASE_TLS_CERTIFICATE = 'stratus-tls';
export const DATABASE_TLS_SECRET = 'stratus-tls';
/** Where engines mount that Secret (read-only): `tls.crt`, `tls.key`, `ca.crt`. */
export const DATABASE_TLS_MOUNT = '/etc/stratus/tls';

/** How the gateway reaches a TLS cluster's engine (see the module's comment). */
export type GatewayMode = 'passthrough' | 'reencrypt' | 'terminate';

/** One member the gateway routes to on its own (MongoDB's split horizon): its own host and Service. */
export interface GatewayMember {
  /** A Service that selects this member's pod only. */
  readonly service: string;
  readonly port: number;
}

/**
 * The object whose pods a rolling restart rolls onto a renewed certificate: a change of its pod
 * template's annotations recreates its pods one by one (a StatefulSet's rolling update, or the
 * operator that owns the pods), as `kubectl rollout restart` does.
 */
export interface RestartTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** The path of the pod template's annotations in the object (`spec.template.metadata.annotations`). */
  readonly podAnnotations: readonly string[];
}

/**
 * How the engine's pods pick up `stratus-tls` once cert-manager renews it (90-day certificates,
 * renewed 30 days before they expire) and rewrites its Secret (docs/endpoints.md, "Renewal"):
 *
 * - `reloads`: the engine (or its operator) serves the new certificate by itself; nothing to do;
 * - `restart`: the engine read the files once, at start: the reconciler rolls the pods of
 *   `target` when the certificate's `status.notBefore` changes (functions/reconciler/renewal.ts).
 */
export type CertificateRenewal =
  | { readonly kind: 'reloads' }
  | { readonly kind: 'restart'; target(spec: ClusterSpec): RestartTarget };

/** The rolling restart of a StatefulSet Stratus renders (its controller rolls the pods on a template change). */
export function statefulSetRestart(name: string): CertificateRenewal {
  return {
    kind: 'restart',
    target: () => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name,
      podAnnotations: ['spec', 'template', 'metadata', 'annotations'],
    }),
  };
}

/** How an engine serves TLS (`Blueprint.tls`); its render honours `spec.tls`. */
export interface TlsSupport {
  /**
   * The in-cluster DNS names the certificate covers: every form of each Service clients or peers
   * connect to (`serviceDnsNames`) and the pods' names through headless Services.
   */
  dnsNames(spec: ClusterSpec): string[];
  /** How the gateway reaches the engine of a TLS cluster. */
  gatewayMode(spec: ClusterSpec): GatewayMode;
  /**
   * Members the gateway routes to one by one, each at `memberHost(clusterId, i, ...)` (MongoDB:
   * drivers must reach every member, and the primary, by a name of the client's own horizon).
   * Absent: one host for the cluster. Only with `passthrough`.
   */
  members?(spec: ClusterSpec): GatewayMember[];
  /** How its pods pick up a renewed certificate (see CertificateRenewal). Cite the source. */
  readonly renewal: CertificateRenewal;
  /**
   * Labels cert-manager puts on the certificate's Secret (the Certificate's
   * `spec.secretTemplate.labels`), for a controller that acts on labelled Secrets (CloudNativePG's
   * `cnpg.io/reload`). Absent: none.
   */
  readonly secretLabels?: Readonly<Record<string, string>>;
}

/** Whether the cluster's engine serves TLS: the spec asks for it (set at creation). */
export function tlsOn(spec: ClusterSpec): boolean {
  return spec.tls === true;
}

/** Every name a client may use for a Service: `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`. */
export function serviceDnsNames(spec: ClusterSpec, service: string): string[] {
  const ns = namespaceOf(spec.clusterId);
  return [service, `${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`];
}

/** The pods behind a headless Service: `*.svc.ns.svc.cluster.local` (and `*.svc.ns.svc`). */
export function headlessDnsNames(spec: ClusterSpec, headless: string): string[] {
  const ns = namespaceOf(spec.clusterId);
  return [`*.${headless}.${ns}.svc.cluster.local`, `*.${headless}.${ns}.svc`];
}

/** A member's external host: `<clusterId>-<i>.<hostSuffix>` (under the same wildcard DNS record). */
export function memberHost(clusterId: string, index: number, hostSuffix: string): string {
  return `${clusterId}-${index}.${hostSuffix}`;
}

/** The pod volume of the certificate's Secret (read-only by the owner and group). */
export function tlsVolume(name = 'tls') {
  return { name, secret: { secretName: DATABASE_TLS_SECRET, defaultMode: 0o440 } };
}

/** Its mount, read-only, at DATABASE_TLS_MOUNT. */
export function tlsVolumeMount(name = 'tls') {
  return { name, mountPath: DATABASE_TLS_MOUNT, readOnly: true };
}

/**
 * An engine's in-cluster connection, marked TLS (verify `host` with the cluster's CA) when the
 * spec serves TLS; `required` false where the engine still accepts plain text (PostgreSQL 16,
 * behind a gateway that cannot originate its TLS).
 */
export function withTls<C extends { readonly host: string }>(
  spec: ClusterSpec,
  conn: C,
  required = true,
): C & { tls?: { serverName: string; required: boolean } } {
  return tlsOn(spec) ? { ...conn, tls: { serverName: conn.host, required } } : conn;
}
