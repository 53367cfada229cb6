import { createRouter } from '../api/router.js';
import { RevealEnv } from './env.js';
import { revealConnection } from './reveal.js';

/**
 * The reveal function: `POST /v1/clusters/{clusterId}/connection/reveal` alone, through the API's
 * request pipeline (functions/api/router.ts). Its own function because it is the one route that
 * reads Kubernetes: the API's bundle carries no Kubernetes client, and the API's role has no EKS
 * access (docs/decisions.md D23).
 */
export const { route, handler } = createRouter(
  'reveal',
  { 'POST /v1/clusters/{clusterId}/connection/reveal': async () => revealConnection },
  RevealEnv,
);
