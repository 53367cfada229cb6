import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ENTITY } from '../../topology.js';
import type { ClusterStatus } from '../domain/cluster.js';
import type { ClusterRecord, OperationError, OperationRecord } from '../domain/records.js';
import { ProblemError } from '../errors.js';

/*
 * Single-table layout (docs/data-model.md):
 *   TENANT#<t>   #TENANT                 tenant, with quota headroom counters
 *   APIKEY#<h>   APIKEY                  API key, by SHA-256 of the secret     gsi1: TENANT#<t>#APIKEYS / <keyId>
 *   TENANT#<t>   CLUSTER#<c>             cluster                               gsi1: REGION#<r> / CLUSTER#<c>
 *   TENANT#<t>   CLUSTERNAME#<name>      name guard (uniqueness per tenant)
 *   TENANT#<t>   OPERATION#<o>           operation   gsi1: CLUSTER#<c> / OPERATION#<created>#<o>   gsi2 (active only)
 *   TENANT#<t>   IDEMPOTENCY#<key>       stored response of a mutation, 24 h (TTL)
 *   TENANT#<t>   AUDIT#<time>#<id>       audit record (secret reveals), 400 days (TTL)
 */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const keys = {
  tenant: (t: string) => ({ pk: `TENANT#${t}`, sk: '#TENANT' }),
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  cluster: (t: string, c: string) => ({ pk: `TENANT#${t}`, sk: `CLUSTER#${c}` }),
  clusterName: (t: string, name: string) => ({ pk: `TENANT#${t}`, sk: `CLUSTERNAME#${name}` }),
  operation: (t: string, o: string) => ({ pk: `TENANT#${t}`, sk: `OPERATION#${o}` }),
  idempotency: (t: string, key: string) => ({ pk: `TENANT#${t}`, sk: `IDEMPOTENCY#${key}` }),
};

/** Sparse index of non-terminal operations by region and deadline: removed when one ends. */
export function activeIndex(o: Pick<OperationRecord, 'region' | 'deadline' | 'operationId'>) {
  return { gsi2pk: `ACTIVE#${o.region}`, gsi2sk: `${o.deadline}#${o.operationId}` };
}

/** The stored shape of a cluster: its keys, entity and index attributes. */
export function clusterItem(c: ClusterRecord): Record<string, unknown> {
  return {
    ...keys.cluster(c.tenantId, c.clusterId),
    entity: ENTITY.cluster,
    gsi1pk: `REGION#${c.region}`,
    gsi1sk: `CLUSTER#${c.clusterId}`,
    ...c,
  };
}

/** The stored shape of an operation (active ones also in gsi2). */
export function operationItem(o: OperationRecord): Record<string, unknown> {
  return {
    ...keys.operation(o.tenantId, o.operationId),
    entity: ENTITY.operation,
    gsi1pk: `CLUSTER#${o.clusterId}`,
    gsi1sk: `OPERATION#${o.createdAt}#${o.operationId}`,
    ...activeIndex(o),
    ...o,
  };
}

/** QUEUED or RUNNING -> FAILED with a reason, out of the active index (a missing item fails the condition too). */
export function failOperationUpdate(
  tableName: string,
  op: OperationRecord,
  error: OperationError,
  now: string,
) {
  return {
    TableName: tableName,
    Key: keys.operation(op.tenantId, op.operationId),
    UpdateExpression:
      'SET #status = :failed, #step = :done, #error = :error, finishedAt = :now, updatedAt = :now REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
    ConditionExpression: '#status IN (:queued, :running)',
    ExpressionAttributeNames: { '#status': 'status', '#step': 'step', '#error': 'error' },
    ExpressionAttributeValues: {
      ':failed': 'FAILED',
      ':done': 'DONE',
      ':error': error,
      ':now': now,
      ':one': 1,
      ':queued': 'QUEUED',
      ':running': 'RUNNING',
    },
  };
}

/** How long a deleted cluster stays readable. */
export const DELETED_RETENTION_SECONDS = 30 * 24 * 3600;
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const AUDIT_TTL_SECONDS = 400 * 24 * 3600;

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly name?: string;
  readonly role: 'admin' | 'editor' | 'viewer';
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly maxClusters: number;
  readonly maxNodes: number;
  /** maxClusters minus clusters that exist; kept by the same transactions that create and delete. */
  readonly clusterHeadroom: number;
  readonly nodeHeadroom: number;
}

/** A stored response, replayed for a repeated Idempotency-Key. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly requestHash: string;
  readonly response: { status: number; headers?: Record<string, string>; body?: unknown };
  readonly createdAt: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly lastKey?: Record<string, unknown>;
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl'];

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.includes(k)) out[k] = v;
  return out as T;
}

function cancellationCodes(e: unknown): string[] | undefined {
  if (e instanceof TransactionCanceledException)
    return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  return undefined;
}

/** Thrown when a conditional state transition lost a race or was already done. */
export class StaleStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StaleStateError';
  }
}

/** Thrown when the Idempotency-Key item already existed at commit time (a concurrent duplicate). */
export class IdempotencyConflictError extends Error {
  constructor(options?: ErrorOptions) {
    super('idempotency key already recorded', options);
    this.name = 'IdempotencyConflictError';
  }
}

const epoch = (iso: string, plusSeconds: number) => Math.floor(Date.parse(iso) / 1000) + plusSeconds;

/** DynamoDB access for every function; the client and table name are injected. */
export class Store {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // ---- reads -------------------------------------------------------------------------------

  async getApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    // Consistent: a revoked key must stop working on the very next request.
    const res = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.apiKey(hash), ConsistentRead: true }),
    );
    return strip<ApiKeyRecord>(res.Item);
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
    );
    return strip<TenantRecord>(res.Item);
  }

  async getCluster(tenantId: string, clusterId: string): Promise<ClusterRecord | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.cluster(tenantId, clusterId),
        ConsistentRead: true,
      }),
    );
    return strip<ClusterRecord>(res.Item);
  }

  async getOperation(tenantId: string, operationId: string): Promise<OperationRecord | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.operation(tenantId, operationId),
        ConsistentRead: true,
      }),
    );
    return strip<OperationRecord>(res.Item);
  }

  async getIdempotency(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.idempotency(tenantId, key),
        ConsistentRead: true,
      }),
    );
    const item = strip<IdempotencyRecord & { expiresAt?: number }>(res.Item);
    return item;
  }

  /**
   * Clusters of a tenant in id (= creation) order. Filters are applied by DynamoDB after the
   * key condition, so this reads on until `limit` items matched or the partition ends.
   */
  async listClusters(
    tenantId: string,
    filters: { region?: string; engine?: string; status?: ClusterStatus },
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<ClusterRecord>> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': `TENANT#${tenantId}`, ':prefix': 'CLUSTER#' };
    const conditions: string[] = [];
    for (const [field, value] of Object.entries(filters)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    if (!filters.status) {
      // Deleted clusters stay readable by id for their retention, but lists show them only when asked.
      names['#status'] = 'status';
      values[':deleted'] = 'DELETED';
      conditions.push('#status <> :deleted');
    }
    return this.queryPage<ClusterRecord>(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(conditions.length
          ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
          : {}),
        ExpressionAttributeValues: values,
      },
      limit,
      startKey,
    );
  }

  /** Operations of a cluster, newest first (gsi1). The caller has checked the cluster is the tenant's. */
  async listOperations(
    clusterId: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<OperationRecord>> {
    return this.queryPage<OperationRecord>(
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `CLUSTER#${clusterId}`, ':prefix': 'OPERATION#' },
        ScanIndexForward: false,
      },
      limit,
      startKey,
    );
  }

  async listApiKeys(
    tenantId: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<ApiKeyRecord>> {
    return this.queryPage<ApiKeyRecord>(
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#APIKEYS` },
      },
      limit,
      startKey,
    );
  }

  private async queryPage<T>(
    input: QueryCommandInput,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<T>> {
    const items: T[] = [];
    let exclusiveStartKey = startKey;
    do {
      const res = await this.db.send(
        new QueryCommand({ ...input, Limit: limit - items.length, ExclusiveStartKey: exclusiveStartKey }),
      );
      for (const item of res.Items ?? []) items.push(strip<T>(item) as T);
      exclusiveStartKey = res.LastEvaluatedKey;
    } while (exclusiveStartKey && items.length < limit);
    return { items, ...(exclusiveStartKey ? { lastKey: exclusiveStartKey } : {}) };
  }

  // ---- tenants and keys --------------------------------------------------------------------

  /** Creates a tenant with its first key. */
  async putTenantWithKey(tenant: TenantRecord, keyHash: string, key: ApiKeyRecord): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.tenant(tenant.tenantId), entity: 'Tenant', ...tenant },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: this.apiKeyPut(keyHash, key) },
        ],
      }),
    );
  }

  /** Sets a tenant's quotas; headroom moves by the same amount, so usage is preserved. */
  async setQuotas(tenantId: string, quotas: { maxClusters: number; maxNodes: number }): Promise<void> {
    const tenant = await this.getTenant(tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.tenant(tenantId),
              UpdateExpression:
                'SET maxClusters = :mc, maxNodes = :mn ADD clusterHeadroom :dc, nodeHeadroom :dn',
              ConditionExpression: 'maxClusters = :oldMc AND maxNodes = :oldMn',
              ExpressionAttributeValues: {
                ':mc': quotas.maxClusters,
                ':mn': quotas.maxNodes,
                ':dc': quotas.maxClusters - tenant.maxClusters,
                ':dn': quotas.maxNodes - tenant.maxNodes,
                ':oldMc': tenant.maxClusters,
                ':oldMn': tenant.maxNodes,
              },
            },
          },
        ],
      }),
    );
  }

  async createApiKey(keyHash: string, key: ApiKeyRecord, idem?: IdempotencyRecord): Promise<void> {
    await this.commit('create API key', [{ Put: this.apiKeyPut(keyHash, key) }], key.tenantId, idem);
  }

  /** A tenant's key by id (gsi1), with its table key. */
  async findApiKey(
    tenantId: string,
    keyId: string,
  ): Promise<(ApiKeyRecord & { readonly ref: { pk: string; sk: string } }) | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :id',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#APIKEYS`, ':id': keyId },
      }),
    );
    const item = res.Items?.[0];
    if (!item) return undefined;
    return {
      ...(strip<ApiKeyRecord>(item) as ApiKeyRecord),
      ref: { pk: String(item.pk), sk: String(item.sk) },
    };
  }

  /** Marks a key revoked; authentication reads keys consistently, so the next request with it fails. */
  async revokeApiKey(
    key: ApiKeyRecord & { ref: { pk: string; sk: string } },
    now: string,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.commit(
      'revoke API key',
      [
        {
          Update: {
            TableName: this.tableName,
            Key: key.ref,
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
            ConditionExpression: 'attribute_exists(pk) AND tenantId = :t',
            ExpressionAttributeValues: { ':now': now, ':t': key.tenantId },
          },
        },
      ],
      key.tenantId,
      idem,
      () => new ProblemError('API_KEY_NOT_FOUND'),
    );
  }

  async getClusterName(tenantId: string, name: string): Promise<{ clusterId: string } | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.clusterName(tenantId, name),
        ConsistentRead: true,
      }),
    );
    return strip<{ clusterId: string }>(res.Item);
  }

  private apiKeyPut(keyHash: string, key: ApiKeyRecord) {
    return {
      TableName: this.tableName,
      Item: {
        ...keys.apiKey(keyHash),
        entity: 'ApiKey',
        gsi1pk: `TENANT#${key.tenantId}#APIKEYS`,
        gsi1sk: key.keyId,
        ...key,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  // ---- cluster mutations (API) -------------------------------------------------------------

  /**
   * Stores a new cluster and its CREATE operation in one transaction: name guard, quota
   * reservation on the tenant, cluster, operation (and the idempotency record). The stream
   * carries the operation to the dispatcher.
   */
  async createCluster(
    cluster: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.commit(
      'create cluster',
      [
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...keys.clusterName(cluster.tenantId, cluster.name),
              entity: 'ClusterName',
              clusterId: cluster.clusterId,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        this.reserveQuota(cluster.tenantId, 1, cluster.nodes),
        {
          Put: {
            TableName: this.tableName,
            Item: clusterItem(cluster),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      cluster.tenantId,
      idem,
      (codes) => {
        if (codes[0] === 'ConditionalCheckFailed') {
          return new ProblemError(
            'CLUSTER_NAME_TAKEN',
            `A cluster named "${cluster.name}" already exists in this tenant`,
            {
              name: cluster.name,
            },
          );
        }
        if (codes[1] === 'ConditionalCheckFailed') return this.quotaProblem(1, cluster.nodes);
        return undefined;
      },
    );
  }

  /** PATCH with a spec change: the new desired spec, a new generation and an UPDATE operation. */
  async updateClusterSpec(
    current: ClusterRecord,
    next: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    const delta = operation.nodeDelta ?? 0;
    await this.commit(
      'update cluster',
      [
        {
          Put: {
            TableName: this.tableName,
            Item: clusterItem(next),
            // Nothing changed the cluster since it was read, and no operation holds it.
            ConditionExpression:
              'attribute_not_exists(activeOperationId) AND statusVersion = :sv AND generation = :g',
            ExpressionAttributeValues: { ':sv': current.statusVersion, ':g': current.generation },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...(delta > 0 ? [this.reserveQuota(current.tenantId, 0, delta)] : []),
        ...(delta < 0 ? [this.releaseQuota(current.tenantId, 0, -delta)] : []),
      ],
      current.tenantId,
      idem,
      (codes) => {
        if (codes[0] === 'ConditionalCheckFailed') {
          return new ProblemError(
            'CONCURRENT_MODIFICATION',
            'The cluster changed while this request was processed; read it again and retry',
          );
        }
        if (delta > 0 && codes[2] === 'ConditionalCheckFailed') return this.quotaProblem(0, delta);
        return undefined;
      },
    );
  }

  /** PATCH of metadata only (deletion protection): applied at once, no operation, no event. */
  async updateClusterMetadata(
    current: ClusterRecord,
    next: ClusterRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.commit(
      'update cluster metadata',
      [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.cluster(current.tenantId, current.clusterId),
            UpdateExpression: 'SET deletionProtection = :dp, updatedAt = :now',
            // A DELETE accepted meanwhile must not lose its protection check.
            ConditionExpression: 'attribute_exists(pk) AND #status <> :deleting AND #status <> :deleted',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':dp': next.deletionProtection,
              ':now': next.updatedAt,
              ':deleting': 'DELETING',
              ':deleted': 'DELETED',
            },
          },
        },
      ],
      current.tenantId,
      idem,
      () => new ProblemError('CLUSTER_NOT_READY', 'The cluster is being deleted'),
    );
  }

  /** DELETE: the cluster enters DELETING and a DELETE operation is queued. */
  async requestDelete(
    next: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.commit(
      'delete cluster',
      [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.cluster(next.tenantId, next.clusterId),
            UpdateExpression:
              'SET #status = :deleting, activeOperationId = :op, updatedAt = :now ADD statusVersion :one',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(activeOperationId) AND deletionProtection = :false',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':deleting': 'DELETING',
              ':op': operation.operationId,
              ':now': next.updatedAt,
              ':one': 1,
              ':false': false,
            },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      next.tenantId,
      idem,
      (codes) =>
        codes[0] === 'ConditionalCheckFailed'
          ? new ProblemError(
              'CONCURRENT_MODIFICATION',
              'The cluster changed while this request was processed; read it again and retry',
            )
          : undefined,
    );
  }

  /**
   * Cancels a QUEUED operation and puts the cluster back as it was: a cancelled CREATE leaves
   * nothing (the cluster is DELETED and its name and quota are freed), a cancelled UPDATE
   * restores the previous spec, a cancelled DELETE the previous status.
   */
  async cancelOperation(
    op: OperationRecord,
    cluster: ClusterRecord,
    now: string,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression:
            'SET #status = :cancelled, #step = :done, finishedAt = :now, updatedAt = :now REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
          ConditionExpression: '#status = :queued',
          ExpressionAttributeNames: { '#status': 'status', '#step': 'step' },
          ExpressionAttributeValues: {
            ':cancelled': 'CANCELLED',
            ':done': 'DONE',
            ':now': now,
            ':one': 1,
            ':queued': 'QUEUED',
          },
        },
      },
    ];
    const prev = op.previous;
    if (op.type === 'CREATE') {
      items.push(
        this.clusterGone(op, now),
        this.deleteNameGuard(cluster),
        this.releaseQuota(op.tenantId, 1, cluster.nodes),
      );
    } else if (op.type === 'UPDATE' && prev) {
      items.push(
        this.updateCluster(
          op,
          {
            status: prev.status,
            nodes: prev.nodes,
            sizeName: prev.sizeName,
            size: prev.size,
            version: prev.version,
            settings: prev.settings,
            generation: prev.generation,
            updatedAt: now,
          },
          {},
          true,
        ),
      );
      const delta = op.nodeDelta ?? 0;
      if (delta > 0) items.push(this.releaseQuota(op.tenantId, 0, delta));
      if (delta < 0) items.push(this.reserveQuota(op.tenantId, 0, -delta, false));
    } else {
      items.push(this.updateCluster(op, { status: prev?.status ?? 'READY', updatedAt: now }, {}, true));
    }
    await this.commit('cancel operation', items, op.tenantId, idem, (codes) =>
      codes[0] === 'ConditionalCheckFailed'
        ? new ProblemError(
            'OPERATION_NOT_CANCELLABLE',
            'The operation has already started applying or has finished',
          )
        : undefined,
    );
  }

  async audit(
    tenantId: string,
    record: { action: string; keyId: string; clusterId: string; correlationId: string; at: string },
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `TENANT#${tenantId}`,
          sk: `AUDIT#${record.at}#${record.correlationId}`,
          entity: 'Audit',
          ttl: epoch(record.at, AUDIT_TTL_SECONDS),
          ...record,
        },
      }),
    );
  }

  // ---- workflow transitions (provisioner) --------------------------------------------------

  /** QUEUED -> RUNNING for the operation, and the cluster enters its working status. */
  async startOperation(
    op: OperationRecord,
    clusterStatus: ClusterStatus,
    placement: string,
    now: string,
  ): Promise<void> {
    await this.transition('start', [
      this.updateOperation(
        op,
        { status: 'RUNNING', step: 'APPLY', startedAt: now, updatedAt: now },
        'QUEUED',
      ),
      this.updateCluster(op, { status: clusterStatus, updatedAt: now }, { placement }),
    ]);
  }

  /** Records the workflow step reached; no status change, so no event. */
  async setStep(op: OperationRecord, step: OperationRecord['step'], now: string): Promise<void> {
    await this.transition('step', [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression: 'SET #step = :step, updatedAt = :now',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#step': 'step', '#status': 'status' },
          ExpressionAttributeValues: { ':step': step, ':now': now, ':running': 'RUNNING' },
        },
      },
    ]);
  }

  /** RUNNING -> SUCCEEDED; the cluster becomes READY at the operation's generation. */
  async completeOperation(
    op: OperationRecord,
    observed: { endpoint: string; port: number },
    now: string,
  ): Promise<void> {
    await this.transition('complete', [
      this.updateOperation(
        op,
        { status: 'SUCCEEDED', step: 'DONE', finishedAt: now, updatedAt: now },
        'RUNNING',
      ),
      this.updateCluster(
        op,
        {
          status: 'READY',
          updatedAt: now,
          endpoint: observed.endpoint,
          port: observed.port,
          observedGeneration: op.targetGeneration,
        },
        {},
        true,
        ['statusReason'],
      ),
    ]);
  }

  /** RUNNING -> SUCCEEDED for a DELETE: the cluster is DELETED (readable until its TTL), its name and quota freed. */
  async completeDeletion(op: OperationRecord, cluster: ClusterRecord, now: string): Promise<void> {
    await this.transition('complete deletion', [
      this.updateOperation(
        op,
        { status: 'SUCCEEDED', step: 'DONE', finishedAt: now, updatedAt: now },
        'RUNNING',
      ),
      this.clusterGone(op, now),
      this.deleteNameGuard(cluster),
      this.releaseQuota(op.tenantId, 1, cluster.nodes),
    ]);
  }

  /**
   * A failed UPDATE starts rolling back: the cluster's desired spec returns to the previous one
   * (a new generation), the operation stays RUNNING in step ROLLBACK_APPLY with a fresh deadline,
   * and the node quota the update reserved is released.
   */
  async beginRollback(
    op: OperationRecord,
    cluster: ClusterRecord,
    cause: OperationError,
    now: string,
    deadline: string,
  ): Promise<OperationRecord> {
    const prev = op.previous;
    if (!prev) throw new Error('beginRollback: the operation has no previous spec');
    const generation = cluster.generation + 1;
    const rollback = { cause, generation };
    const delta = op.nodeDelta ?? 0;
    await this.transition('begin rollback', [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression:
            'SET #step = :step, #rb = :rb, #deadline = :deadline, updatedAt = :now, gsi2sk = :gsi2sk',
          ConditionExpression: '#status = :running AND attribute_not_exists(#rb)',
          ExpressionAttributeNames: {
            '#step': 'step',
            '#status': 'status',
            '#rb': 'rollback',
            '#deadline': 'deadline',
          },
          ExpressionAttributeValues: {
            ':step': 'ROLLBACK_APPLY',
            ':rb': rollback,
            ':deadline': deadline,
            ':now': now,
            ':gsi2sk': activeIndex({ ...op, deadline }).gsi2sk,
            ':running': 'RUNNING',
          },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: keys.cluster(op.tenantId, op.clusterId),
          // Names as placeholders: `size` and others are DynamoDB reserved words.
          UpdateExpression:
            'SET #nodes = :nodes, #sizeName = :sizeName, #size = :size, #version = :version, #settings = :settings, #gen = :gen, updatedAt = :now',
          ConditionExpression: 'activeOperationId = :op',
          ExpressionAttributeNames: {
            '#nodes': 'nodes',
            '#sizeName': 'sizeName',
            '#size': 'size',
            '#version': 'version',
            '#settings': 'settings',
            '#gen': 'generation',
          },
          ExpressionAttributeValues: {
            ':nodes': prev.nodes,
            ':sizeName': prev.sizeName,
            ':size': prev.size,
            ':version': prev.version,
            ':settings': prev.settings,
            ':gen': generation,
            ':now': now,
            ':op': op.operationId,
          },
        },
      },
      ...(delta > 0 ? [this.releaseQuota(op.tenantId, 0, delta)] : []),
      ...(delta < 0 ? [this.reserveQuota(op.tenantId, 0, -delta, false)] : []),
    ]);
    return { ...op, step: 'ROLLBACK_APPLY', rollback, deadline };
  }

  /** The rollback is live: the operation FAILED (saying it was rolled back), the cluster READY on its previous spec. */
  async finishRollback(
    op: OperationRecord,
    observed: { endpoint: string; port: number },
    now: string,
  ): Promise<void> {
    const rb = op.rollback;
    if (!rb) throw new Error('finishRollback: the operation is not rolling back');
    const error: OperationError = {
      code: rb.cause.code,
      message: `${rb.cause.message} (rolled back: the cluster runs its previous spec, generation ${rb.generation})`,
    };
    await this.transition('finish rollback', [
      this.updateOperation(
        op,
        { status: 'FAILED', step: 'DONE', error, finishedAt: now, updatedAt: now },
        'RUNNING',
      ),
      this.updateCluster(
        op,
        {
          status: 'READY',
          statusReason: 'UPDATE_ROLLED_BACK',
          updatedAt: now,
          endpoint: observed.endpoint,
          port: observed.port,
          observedGeneration: rb.generation,
        },
        {},
        true,
      ),
    ]);
  }

  /** Any non-terminal -> FAILED with a reason; the cluster is marked FAILED and released. */
  async failOperation(op: OperationRecord, error: OperationError, now: string): Promise<void> {
    await this.transition('fail', [
      { Update: failOperationUpdate(this.tableName, op, error, now) },
      this.updateCluster(op, { status: 'FAILED', updatedAt: now, statusReason: error.code }, {}, true),
    ]);
  }

  // ---- building blocks ---------------------------------------------------------------------

  /**
   * Runs a transaction with the optional idempotency record appended. A cancelled transaction
   * is mapped by `explain` (from the per-item cancellation codes), an idempotency clash becomes
   * IdempotencyConflictError, anything else is rethrown.
   */
  private async commit(
    what: string,
    items: TransactItem[],
    tenantId: string,
    idem: IdempotencyRecord | undefined,
    explain: (codes: string[]) => Error | undefined = () => undefined,
  ): Promise<void> {
    const all = idem ? [...items, this.idempotencyPut(tenantId, idem)] : items;
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: all }));
    } catch (e) {
      const codes = cancellationCodes(e);
      if (!codes) throw e;
      if (idem && codes[all.length - 1] === 'ConditionalCheckFailed')
        throw new IdempotencyConflictError({ cause: e });
      if (codes.includes('TransactionConflict')) {
        throw new ProblemError(
          'CONCURRENT_MODIFICATION',
          `Another request changed the same data (${what}); retry`,
          {},
          { cause: e },
        );
      }
      const mapped = explain(codes);
      if (mapped) throw mapped;
      throw new StaleStateError(`${what}: condition failed (${codes.join(', ')})`, { cause: e });
    }
  }

  private idempotencyPut(tenantId: string, idem: IdempotencyRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.idempotency(tenantId, idem.key),
          entity: 'Idempotency',
          ttl: epoch(idem.createdAt, IDEMPOTENCY_TTL_SECONDS),
          ...idem,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private reserveQuota(tenantId: string, clusters: number, nodes: number, checked = true): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'ADD clusterHeadroom :c, nodeHeadroom :n',
        ConditionExpression: checked
          ? 'attribute_exists(pk) AND clusterHeadroom >= :needC AND nodeHeadroom >= :needN'
          : 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':c': -clusters,
          ':n': -nodes,
          ...(checked ? { ':needC': clusters, ':needN': nodes } : {}),
        },
      },
    };
  }

  private releaseQuota(tenantId: string, clusters: number, nodes: number): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'ADD clusterHeadroom :c, nodeHeadroom :n',
        ExpressionAttributeValues: { ':c': clusters, ':n': nodes },
      },
    };
  }

  private quotaProblem(clusters: number, nodes: number): ProblemError {
    return new ProblemError(
      'QUOTA_EXCEEDED',
      clusters > 0
        ? `This tenant cannot add 1 more cluster with ${nodes} node(s): its cluster or node quota is used up`
        : `This tenant cannot add ${nodes} more node(s): its node quota is used up`,
    );
  }

  private deleteNameGuard(cluster: ClusterRecord): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: keys.clusterName(cluster.tenantId, cluster.name),
        ConditionExpression: 'clusterId = :c',
        ExpressionAttributeValues: { ':c': cluster.clusterId },
      },
    };
  }

  /** The cluster is DELETED: no longer held, readable until its TTL. */
  private clusterGone(op: OperationRecord, now: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.cluster(op.tenantId, op.clusterId),
        UpdateExpression:
          'SET #status = :deleted, updatedAt = :now, #ttl = :ttl REMOVE activeOperationId, endpoint, port, gsi1pk, gsi1sk ADD statusVersion :one',
        ConditionExpression: 'activeOperationId = :op',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':deleted': 'DELETED',
          ':now': now,
          ':ttl': epoch(now, DELETED_RETENTION_SECONDS),
          ':one': 1,
          ':op': op.operationId,
        },
      },
    };
  }

  private async transition(what: string, items: TransactItem[]): Promise<void> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      if (cancellationCodes(e)?.includes('ConditionalCheckFailed')) {
        throw new StaleStateError(`state transition "${what}" no longer applies`, { cause: e });
      }
      throw e;
    }
  }

  private updateOperation(
    op: OperationRecord,
    set: Record<string, unknown>,
    expectedStatus: OperationRecord['status'],
  ): TransactItem {
    const terminal = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(set.status));
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':expected': expectedStatus, ':one': 1 };
    const parts = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.operation(op.tenantId, op.operationId),
        UpdateExpression: `SET ${parts.join(', ')}${terminal ? ' REMOVE gsi2pk, gsi2sk' : ''} ADD statusVersion :one`,
        ConditionExpression: '#status = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** Updates the cluster that `op` holds; `release` clears the hold. Status changes bump statusVersion. */
  private updateCluster(
    op: OperationRecord,
    set: Record<string, unknown>,
    setIfAbsent: Record<string, unknown>,
    release = false,
    remove: string[] = [],
  ): TransactItem {
    const names: Record<string, string> = { '#active': 'activeOperationId' };
    const values: Record<string, unknown> = { ':op': op.operationId, ':one': 1 };
    const parts: string[] = [];
    for (const [i, [k, v]] of Object.entries(set).entries()) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      parts.push(`#s${i} = :s${i}`);
    }
    for (const [i, [k, v]] of Object.entries(setIfAbsent).entries()) {
      names[`#n${i}`] = k;
      values[`:n${i}`] = v;
      parts.push(`#n${i} = if_not_exists(#n${i}, :n${i})`);
    }
    const removals = [...(release ? ['#active'] : []), ...remove];
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.cluster(op.tenantId, op.clusterId),
        UpdateExpression: `SET ${parts.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''} ADD statusVersion :one`,
        ConditionExpression: '#active = :op',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }
}
