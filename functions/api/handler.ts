import { ApiEnv } from './env.js';
import { createRouter, type RouteLoaders } from './router.js';

const clusters = () => import('./routes/clusters.js');
const operations = () => import('./routes/operations.js');
const apiKeys = () => import('./routes/api-keys.js');
const connection = () => import('./routes/connection.js');
const backups = () => import('./routes/backups.js');

/**
 * The API function: every route of ROUTES but the credential reveal, which the reveal function
 * serves (functions/reveal/handler.ts), so that this bundle carries no Kubernetes client.
 */
const LOADERS: RouteLoaders = {
  'POST /v1/clusters': async () => (await clusters()).createCluster,
  'GET /v1/clusters': async () => (await clusters()).listClusters,
  'GET /v1/clusters/{clusterId}': async () => (await clusters()).getCluster,
  'PATCH /v1/clusters/{clusterId}': async () => (await clusters()).updateCluster,
  'DELETE /v1/clusters/{clusterId}': async () => (await clusters()).deleteCluster,
  'POST /v1/clusters/{clusterId}/pause': async () => (await clusters()).pauseCluster,
  'POST /v1/clusters/{clusterId}/resume': async () => (await clusters()).resumeCluster,
  'GET /v1/clusters/{clusterId}/operations': async () => (await operations()).listClusterOperations,
  'GET /v1/clusters/{clusterId}/connection': async () => (await connection()).getConnection,
  'POST /v1/clusters/{clusterId}/backups': async () => (await backups()).createBackup,
  'GET /v1/clusters/{clusterId}/backups': async () => (await backups()).listClusterBackups,
  'GET /v1/backups/{backupId}': async () => (await backups()).getBackup,
  'DELETE /v1/backups/{backupId}': async () => (await backups()).deleteBackup,
  'GET /v1/operations/{operationId}': async () => (await operations()).getOperation,
  'POST /v1/operations/{operationId}/cancel': async () => (await operations()).cancelOperation,
  'POST /v1/api-keys': async () => (await apiKeys()).createApiKey,
  'GET /v1/api-keys': async () => (await apiKeys()).listApiKeys,
  'DELETE /v1/api-keys/{keyId}': async () => (await apiKeys()).revokeApiKey,
  'GET /v1/openapi.json': async () => (await import('./routes/openapi.js')).getOpenApi,
};

export const { route, handler } = createRouter('api', LOADERS, ApiEnv);
