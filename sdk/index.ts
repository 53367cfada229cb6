/**
 * The Stratus SDK: a typed client of the public /v1 API for Node 20+ and browsers (fetch only, no
 * Node-only import; node-only helpers such as profile files live in the CLI, cli/stratus).
 *
 *   const stratus = new StratusClient({ baseUrl, apiKey });
 *   const { operation } = await stratus.clusters.create({ name: 'vectors', engine: 'qdrant', region: 'eu-west-1' });
 *   await stratus.waitForOperation(operation!.id, { onProgress: (op) => console.log(op.status) });
 */
export {
  type ApiKey,
  type Cluster,
  type ClusterMutation,
  type Connection,
  type CreateApiKeyInput,
  type CreateClusterInput,
  type CreatedApiKey,
  type DryRun,
  type ListClustersQuery,
  type MutationOptions,
  type Operation,
  type OperationStatus,
  type Page,
  paginate,
  type RevealedConnection,
  StratusClient,
  type StratusClientOptions,
  TERMINAL_STATUSES,
  type UpdateClusterInput,
  type WaitOptions,
} from './client.js';
export {
  type FieldError,
  OperationTimeoutError,
  type ProblemCode,
  parseRetryAfter,
  StratusApiError,
  StratusNetworkError,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export { type FetchLike, type RetryOptions, SERVED_BY_HEADER } from './transport.js';
