/**
 * A cluster's external endpoint (issue #17): whether it is reachable from outside its EKS cluster
 * through the region's shared gateway, from which addresses, and (engines that speak HTTP) whether
 * the gateway checks the API key before a request reaches the database. Pure rules: no I/O.
 */
import * as z from 'zod';
import { ValidationError } from '../errors.js';

/** At most this many CIDRs in an allowlist: one SecurityPolicy rule, readable by a person. */
export const MAX_ALLOWED_CIDRS = 32;

/** A cluster's endpoint settings, as stored (part of its desired spec: a change is an UPDATE). */
export interface EndpointSettings {
  /** Reachable through the gateway at `<clusterId>.<dnsLabel>.<domain>`. */
  readonly public: boolean;
  /** Client addresses the gateway lets through; kept while `public` is off, for the next time. */
  readonly allowedCidrs: readonly string[];
  /**
   * Engines that speak HTTP (Qdrant): the gateway refuses a request without the cluster's API key
   * before it reaches the database. Absent for the other engines.
   */
  readonly tokenCheck?: boolean;
}

/** Not public, nothing allowed: what a cluster without endpoint settings means. */
export const PRIVATE_ENDPOINT: EndpointSettings = Object.freeze({ public: false, allowedCidrs: [] });

const CIDR = z.union([z.cidrv4(), z.cidrv6()], {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a CIDR: write an address with its prefix length, such as 203.0.113.0/24 or 2001:db8::/48`,
});

/** The request's `endpoint` (create and PATCH): every field optional, unknown ones refused. */
export const EndpointRequestSchema = z
  .strictObject({
    /** Reachable from outside the EKS cluster, through the gateway (default false). */
    public: z.boolean().optional(),
    /**
     * Client addresses (IPv4 or IPv6 CIDRs) the gateway lets through; required, non-empty, when
     * `public`. `0.0.0.0/0` and `::/0` are accepted when sent: they open the endpoint to every
     * address (TLS and the database's credentials still apply).
     */
    allowedCidrs: z.array(CIDR).max(MAX_ALLOWED_CIDRS, `at most ${MAX_ALLOWED_CIDRS} CIDRs`).optional(),
    /**
     * Engines that speak HTTP (Qdrant) only: the gateway checks the cluster's API key (`api-key`
     * header) before a request reaches the database. Default true.
     */
    tokenCheck: z.boolean().optional(),
  })
  .describe(
    "The cluster's external endpoint: public (default false), the client CIDRs allowed (required when public; at most 32), and for HTTP engines the gateway's API key check (tokenCheck, default true). docs/endpoints.md.",
  );
export type EndpointRequest = z.infer<typeof EndpointRequestSchema>;

/** Engines whose clients speak HTTP to them: the gateway routes and checks them as HTTP (HTTPRoute). */
export function speaksHttp(scheme: string): boolean {
  return scheme === 'http' || scheme === 'https';
}

/**
 * The settings a create or PATCH asks for, over the current ones (`current`: PRIVATE_ENDPOINT on
 * a create): checked, duplicates refused, `tokenCheck` defaulted on for HTTP engines. Throws a
 * ValidationError naming the field.
 */
export function endpointSettingsOf(
  req: EndpointRequest,
  current: EndpointSettings,
  engine: { readonly name: string; readonly http: boolean },
): EndpointSettings {
  const allowedCidrs = req.allowedCidrs ?? current.allowedCidrs;
  const isPublic = req.public ?? current.public;
  const issues: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const [i, cidr] of allowedCidrs.entries()) {
    const key = cidr.toLowerCase();
    if (seen.has(key))
      issues.push({ path: `endpoint.allowedCidrs.${i}`, message: `${cidr} is listed twice` });
    seen.add(key);
  }
  if (isPublic && allowedCidrs.length === 0) {
    issues.push({
      path: 'endpoint.allowedCidrs',
      message:
        'a public endpoint needs the client CIDRs it admits (at least one, such as 203.0.113.0/24; 0.0.0.0/0 admits every IPv4 address)',
    });
  }
  if (req.tokenCheck !== undefined && !engine.http) {
    issues.push({
      path: 'endpoint.tokenCheck',
      message: `${engine.name} does not speak HTTP: the gateway checks tokens only for HTTP engines (qdrant); its own credentials apply`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    public: isPublic,
    allowedCidrs,
    ...(engine.http ? { tokenCheck: req.tokenCheck ?? current.tokenCheck ?? true } : {}),
  };
}

/** Whether two settings differ (a PATCH that changes nothing here is no UPDATE). */
export function sameEndpoint(a: EndpointSettings | undefined, b: EndpointSettings | undefined): boolean {
  const x = a ?? PRIVATE_ENDPOINT;
  const y = b ?? PRIVATE_ENDPOINT;
  return (
    x.public === y.public &&
    (x.tokenCheck ?? true) === (y.tokenCheck ?? true) &&
    x.allowedCidrs.length === y.allowedCidrs.length &&
    x.allowedCidrs.every((c, i) => c === y.allowedCidrs[i])
  );
}

/**
 * The external host of a cluster: `<clusterId>.<hostSuffix>`, where the suffix is the EKS
 * cluster's `<dnsLabel>.<domain>` (one wildcard DNS record per EKS cluster, created by the CDK app).
 */
export function externalHost(clusterId: string, hostSuffix: string): string {
  return `${clusterId}.${hostSuffix}`;
}

/** What the connection route shows of a public endpoint (stored on the cluster once READY). */
export interface ExternalEndpoint {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that issued the certificate clients see (`ca.crt`); absent: a publicly trusted CA. */
  readonly caBundle?: string;
  /**
   * Engines whose every member has its own host (MongoDB's split horizon, engines/tls.ts
   * `members`): all of them, in member order; `host` is the first. Absent: one host.
   */
  readonly hosts?: readonly string[];
  /** Engines with a gRPC port (Qdrant): its own host, on the same port. */
  readonly grpcHost?: string;
}
