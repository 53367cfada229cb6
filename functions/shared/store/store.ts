import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ENTITY } from '../../topology.js';
import type { ClusterRecord, OperationError, OperationRecord } from '../domain/records.js';
import { ProblemError } from '../errors.js';

/*
 * Single-table layout (docs/data-model.md):
 *   TENANT#<t>   #TENANT              tenant
 *   APIKEY#<h>   APIKEY               API key, by SHA-256 of the secret
 *   TENANT#<t>   CLUSTER#<c>          cluster          gsi1: REGION#<r> / CLUSTER#<c>
 *   TENANT#<t>   CLUSTERNAME#<name>   name guard (uniqueness per tenant)
 *   TENANT#<t>   OPERATION#<o>        operation        gsi1: CLUSTER#<c> / OPERATION#<created>#<o>
 */
/** Sparse index of non-terminal operations by region and deadline: removed when one ends. */
export function activeIndex(o: Pick<OperationRecord, 'region' | 'deadline' | 'operationId'>) {
  return { gsi2pk: `ACTIVE#${o.region}`, gsi2sk: `${o.deadline}#${o.operationId}` };
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const keys = {
  tenant: (t: string) => ({ pk: `TENANT#${t}`, sk: '#TENANT' }),
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  cluster: (t: string, c: string) => ({ pk: `TENANT#${t}`, sk: `CLUSTER#${c}` }),
  clusterName: (t: string, name: string) => ({ pk: `TENANT#${t}`, sk: `CLUSTERNAME#${name}` }),
  operation: (t: string, o: string) => ({ pk: `TENANT#${t}`, sk: `OPERATION#${o}` }),
};

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly role: 'admin' | 'editor' | 'viewer';
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl'];

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.includes(k)) out[k] = v;
  return out as T;
}

function isConditionFailure(e: unknown, index?: number): boolean {
  if (e instanceof TransactionCanceledException) {
    const reasons = e.CancellationReasons ?? [];
    return index === undefined
      ? reasons.some((r) => r.Code === 'ConditionalCheckFailed')
      : reasons[index]?.Code === 'ConditionalCheckFailed';
  }
  return (e as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** Thrown when a conditional state transition lost a race or was already done. */
export class StaleStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StaleStateError';
  }
}

/** DynamoDB access for every function; the client and table name are injected. */
export class Store {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKey(hash) }));
    return strip<ApiKeyRecord>(res.Item);
  }

  /** Creates a tenant with its first key; idempotent for the same ids. */
  async putTenantWithKey(tenant: TenantRecord, keyHash: string, key: ApiKeyRecord): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.tenant(tenant.tenantId), entity: 'Tenant', ...tenant },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...keys.apiKey(keyHash), entity: 'ApiKey', ...key } } },
        ],
      }),
    );
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.tenant(tenantId) }));
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

  /**
   * Stores a new cluster and its CREATE operation in one transaction, with the name guard that
   * keeps names unique per tenant. The stream carries the operation to the dispatcher.
   */
  async createCluster(cluster: ClusterRecord, operation: OperationRecord): Promise<void> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
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
            {
              Put: {
                TableName: this.tableName,
                Item: this.clusterItem(cluster),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: this.operationItem(operation),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (e) {
      if (isConditionFailure(e, 0)) {
        throw new ProblemError(
          'CLUSTER_NAME_TAKEN',
          `A cluster named "${cluster.name}" already exists in this tenant`,
          {
            name: cluster.name,
          },
        );
      }
      throw e;
    }
  }

  /** QUEUED -> RUNNING for the operation, and the cluster enters its working status. */
  async startOperation(
    op: OperationRecord,
    clusterStatus: ClusterRecord['status'],
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
      ),
    ]);
  }

  /** Any non-terminal -> FAILED with a reason; the cluster is marked FAILED and released. */
  async failOperation(op: OperationRecord, error: OperationError, now: string): Promise<void> {
    await this.transition('fail', [
      {
        Update: {
          TableName: this.tableName,
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
        },
      },
      this.updateCluster(op, { status: 'FAILED', updatedAt: now, statusReason: error.code }, {}, true),
    ]);
  }

  private async transition(what: string, items: TransactItem[]): Promise<void> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      if (isConditionFailure(e))
        throw new StaleStateError(`state transition "${what}" no longer applies`, { cause: e });
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
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.cluster(op.tenantId, op.clusterId),
        UpdateExpression: `SET ${parts.join(', ')}${release ? ' REMOVE #active' : ''} ADD statusVersion :one`,
        ConditionExpression: '#active = :op',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  private clusterItem(c: ClusterRecord): Record<string, unknown> {
    return {
      ...keys.cluster(c.tenantId, c.clusterId),
      entity: ENTITY.cluster,
      gsi1pk: `REGION#${c.region}`,
      gsi1sk: `CLUSTER#${c.clusterId}`,
      ...c,
    };
  }

  private operationItem(o: OperationRecord): Record<string, unknown> {
    return {
      ...keys.operation(o.tenantId, o.operationId),
      entity: ENTITY.operation,
      gsi1pk: `CLUSTER#${o.clusterId}`,
      gsi1sk: `OPERATION#${o.createdAt}#${o.operationId}`,
      ...activeIndex(o),
      ...o,
    };
  }

  /** For tests and tools: write a raw item. */
  async putRaw(item: Record<string, unknown>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}
