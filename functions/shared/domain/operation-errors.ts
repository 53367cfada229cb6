/**
 * What a tenant is told when an operation fails: a stable `code` and a message written for them.
 * Raw Kubernetes and AWS text (which names the provisioner's role ARN, the AWS account, the API
 * server's host and addresses) never goes into an operation's `error`: the workflow logs it with
 * the operation's correlation id, and writes one of the messages below. `publicOperationError`
 * is the last line of defence, applied wherever an operation error is stored or shown.
 */
import type { OperationError } from './records.js';

/** Longest `error.message` stored or shown. */
export const MAX_ERROR_MESSAGE = 500;

const REDACTED = '[redacted]';

/**
 * Patterns of internal detail, most specific first. Hostnames are matched by the suffixes AWS
 * and Kubernetes use, so versions (`8.0.3`) and timestamps are left alone.
 */
const INTERNALS: ReadonlyArray<readonly [RegExp, string]> = [
  // Any ARN, of any partition (aws, aws-cn, aws-us-gov): roles, assumed roles, clusters.
  [/\barn:aws[a-z-]*:[^\s"'`,;()]+/gi, REDACTED],
  // Kubernetes names the caller: `User "<identity>"`, `system:serviceaccount:<ns>:<name>`.
  [/\bUser "[^"]*"/g, `User "${REDACTED}"`],
  [/\bsystem:(?:serviceaccount|node):[^\s"'`,;()]+/g, REDACTED],
  // Temporary or long-term access key ids.
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // URLs and hostnames of AWS endpoints, EC2 instances and in-cluster services.
  [/\bhttps?:\/\/[^\s"'`,;()]+/gi, REDACTED],
  [
    /\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:amazonaws\.com(?:\.cn)?|compute\.internal|ec2\.internal|svc(?:\.cluster\.local)?|cluster\.local)\b/gi,
    REDACTED,
  ],
  // IPv4 addresses, with a port.
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, REDACTED],
  // 12-digit AWS account ids, wherever they are left.
  [/\b\d{12}\b/g, REDACTED],
];

/** `text` without ARNs, account ids, identities, hostnames, addresses or access keys. */
export function redactInternals(text: string): string {
  return INTERNALS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** The error as it may be stored, returned by the API and published: redacted and bounded. */
export function publicOperationError(error: OperationError): OperationError {
  return { code: error.code, message: redactInternals(error.message).slice(0, MAX_ERROR_MESSAGE) };
}

const SEE_CORRELATION = "Stratus's operators have the details under the operation's correlation id";

/** The operation errors the workflow records, each with its tenant-facing message. */
export const operationErrors = {
  /** Kubernetes refused a request (4xx other than 401/404/409), permanently. */
  kubernetesRejected: (): OperationError => ({
    code: 'KUBERNETES_REJECTED',
    message: `The Kubernetes cluster refused a change Stratus made for this operation. ${SEE_CORRELATION}.`,
  }),
  /** Kubernetes (or the EKS or STS call that reaches it) kept failing until retries ran out. */
  kubernetesUnavailable: (): OperationError => ({
    code: 'KUBERNETES_UNAVAILABLE',
    message: `The Kubernetes cluster hosting this database could not be reached; retries ran out. ${SEE_CORRELATION}.`,
  }),
  /** The engine (or its operator) reported a failure it cannot recover from. */
  notReady: (): OperationError => ({
    code: 'NOT_READY',
    message: `The database did not become ready: it reported a failure it cannot recover from. ${SEE_CORRELATION}.`,
  }),
  deadlineExceeded: (deadline: string): OperationError => ({
    code: 'DEADLINE_EXCEEDED',
    message: `The operation did not finish by its deadline (${deadline})`,
  }),
  /** No EKS cluster of the database's region is configured. */
  noCapacity: (region: string): OperationError => ({
    code: 'NO_EKS_CLUSTER',
    message: `Stratus has no capacity to run databases in ${region}`,
  }),
  /** The message failed every receive and went to the dead-letter queue. */
  deliveryFailed: (): OperationError => ({
    code: 'DELIVERY_FAILED',
    message: `The provisioner failed repeatedly on this operation and stopped. ${SEE_CORRELATION}.`,
  }),
  /** The engine's backup (a CloudNativePG Backup, a Job) reported a failure. */
  backupFailed: (): OperationError => ({
    code: 'BACKUP_FAILED',
    message: `The backup did not complete: the database's backup reported a failure. ${SEE_CORRELATION}.`,
  }),
  /** The backup reported success but nothing is stored under its prefix. */
  backupEmpty: (): OperationError => ({
    code: 'BACKUP_EMPTY',
    message: 'The backup reported success but stored nothing in the backup bucket; it is not usable.',
  }),
  /** The backup bucket could not be read until retries ran out. */
  objectStoreUnavailable: (): OperationError => ({
    code: 'OBJECT_STORE_UNAVAILABLE',
    message: `The backup storage could not be reached to check the backup; retries ran out. ${SEE_CORRELATION}.`,
  }),
  /** The EKS Pod Identity association of the backup pods could not be made (refused, or retries ran out). */
  backupIdentityFailed: (): OperationError => ({
    code: 'BACKUP_IDENTITY_FAILED',
    message: `The identity the database's backup pods use to reach the backup storage could not be set up. ${SEE_CORRELATION}.`,
  }),
  backupUnsupported: (engine: string): OperationError => ({
    code: 'BACKUP_NOT_SUPPORTED',
    message: `${engine} clusters cannot be backed up`,
  }),
  pauseUnsupported: (engine: string): OperationError => ({
    code: 'PAUSE_NOT_SUPPORTED',
    message: `${engine} clusters cannot be paused`,
  }),
  /** The cluster's credential Secret exists but lacks a generated value. */
  credentialsIncomplete: (): OperationError => ({
    code: 'CREDENTIALS_INCOMPLETE',
    message: `The database's stored credentials are incomplete, so Stratus will not change them. ${SEE_CORRELATION}.`,
  }),
} as const;
