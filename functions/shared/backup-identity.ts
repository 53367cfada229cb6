/**
 * The per-cluster identity of the pods that write and read backups (issue #14): one IAM role per
 * region (`stratus-<stage>-<region>-backup-pods`, lib/backup-identity.ts), and per cluster an EKS
 * Pod Identity association of that role with the ServiceAccount its backup pods run as, in its
 * namespace, carrying a session policy that narrows the role to that cluster's prefix (and, for a
 * restored cluster, to the backup it restores). The provisioner makes the association before the
 * pods that need it start, and removes it with the namespace. No static credentials anywhere.
 *
 * Why a session policy rather than ABAC on Pod Identity's session tags: the tags name the
 * namespace (`stratus-<clusterId>`), but a restore reads another cluster's prefix, which no tag
 * names; the association's `policy` names both exactly (docs/decisions.md, D33).
 */
import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import type { BackupStore } from './domain/cluster.js';

/** What one cluster's backup pods may do in the object store: write their own prefix, read a restore's source. */
export interface BackupAccess {
  /** The cluster's own prefix: its backups (and PostgreSQL's WAL archive) are written and read here. */
  readonly own: BackupStore;
  /** A restored cluster's source: read only (the backup, or PostgreSQL's source archive). */
  readonly restoreFrom?: BackupStore;
}

/** The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

/**
 * The association's session policy: the effective rights are its intersection with the role's
 * (which allows the same actions on the whole bucket). `s3:ListBucket` is granted for the prefix,
 * and without any prefix or delimiter too, which is how S3 authorizes `HeadBucket`: Barman Cloud
 * checks the bucket exists that way before it archives (so key names, never contents, are
 * listable; docs/security.md).
 */
export function backupSessionPolicy(partition: string, access: BackupAccess): string {
  const bucketArn = (bucket: string) => `arn:${partition}:s3:::${bucket}`;
  const stores = [access.own, ...(access.restoreFrom ? [access.restoreFrom] : [])];
  const buckets = [...new Set(stores.map((s) => s.bucket))];
  const statements: Record<string, unknown>[] = [
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      Resource: `${bucketArn(access.own.bucket)}/${access.own.prefix}*`,
    },
  ];
  if (access.restoreFrom) {
    statements.push({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `${bucketArn(access.restoreFrom.bucket)}/${access.restoreFrom.prefix}*`,
    });
  }
  for (const bucket of buckets) {
    const prefixes = stores.filter((s) => s.bucket === bucket).map((s) => `${s.prefix}*`);
    statements.push(
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn(bucket),
        Condition: { StringLike: { 's3:prefix': prefixes } },
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn(bucket),
        Condition: { Null: { 's3:prefix': 'true', 's3:delimiter': 'true' } },
      },
    );
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** One association: which pods (namespace and ServiceAccount, on an EKS cluster) get the role, narrowed by `policy`. */
export interface PodIdentityRequest {
  readonly eksCluster: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The session policy (backupSessionPolicy). */
  readonly policy: string;
}

/** Makes and removes the associations (EKS Pod Identity). */
export interface PodIdentityPort {
  /** Creates the association, or updates it when its role or policy differ; idempotent. */
  ensure(req: PodIdentityRequest): Promise<'created' | 'updated' | 'unchanged'>;
  /** Deletes every association of the namespace; returns how many. */
  remove(req: { readonly eksCluster: string; readonly namespace: string }): Promise<number>;
}

/** A failed EKS call of the port, classified for the workflow's retry policy. */
export class PodIdentityError extends Error {
  override readonly name = 'PodIdentityError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ServerException',
  'ServiceUnavailableException',
  'ResourceInUseException',
]);

function classified(e: unknown, what: string): PodIdentityError {
  const err = e as { name?: string; $retryable?: unknown; $fault?: string; message?: string };
  const retryable = err.$retryable !== undefined || err.$fault === 'server' || RETRYABLE.has(err.name ?? '');
  return new PodIdentityError(`${what}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`, retryable, {
    cause: e,
  });
}

/** Compares two policies as documents: EKS may return the JSON re-serialized. */
function samePolicy(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/** The port over the EKS API, with the provisioner's own role (its own region's EKS clusters). */
export function eksPodIdentity(opts: { readonly eks: EKSClient; readonly roleArn: string }): PodIdentityPort {
  const { eks, roleArn } = opts;
  async function list(eksCluster: string, namespace: string, serviceAccount?: string) {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await eks.send(
        new ListPodIdentityAssociationsCommand({
          clusterName: eksCluster,
          namespace,
          ...(serviceAccount ? { serviceAccount } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const a of res.associations ?? []) if (a.associationId) ids.push(a.associationId);
      nextToken = res.nextToken;
    } while (nextToken);
    return ids;
  }
  return {
    async ensure(req) {
      try {
        const [existing] = await list(req.eksCluster, req.namespace, req.serviceAccount);
        if (existing === undefined) {
          await eks.send(
            new CreatePodIdentityAssociationCommand({
              clusterName: req.eksCluster,
              namespace: req.namespace,
              serviceAccount: req.serviceAccount,
              roleArn,
              policy: req.policy,
              // Required with a session policy; the policy names the prefixes the tags could not.
              disableSessionTags: true,
            }),
          );
          return 'created';
        }
        const { association } = await eks.send(
          new DescribePodIdentityAssociationCommand({ clusterName: req.eksCluster, associationId: existing }),
        );
        if (association?.roleArn === roleArn && samePolicy(association.policy, req.policy))
          return 'unchanged';
        await eks.send(
          new UpdatePodIdentityAssociationCommand({
            clusterName: req.eksCluster,
            associationId: existing,
            roleArn,
            policy: req.policy,
            disableSessionTags: true,
          }),
        );
        return 'updated';
      } catch (e) {
        if (e instanceof PodIdentityError) throw e;
        throw classified(e, `pod identity association for ${req.namespace}/${req.serviceAccount}`);
      }
    },
    async remove(req) {
      try {
        const ids = await list(req.eksCluster, req.namespace);
        for (const associationId of ids) {
          try {
            await eks.send(
              new DeletePodIdentityAssociationCommand({ clusterName: req.eksCluster, associationId }),
            );
          } catch (e) {
            if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
          }
        }
        return ids.length;
      } catch (e) {
        throw classified(e, `pod identity associations of ${req.namespace}`);
      }
    },
  };
}
