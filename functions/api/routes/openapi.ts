import type { ApiResponse } from '../http.js';
import { openApiDocument } from '../openapi.js';

let cached: unknown;

export async function getOpenApi(): Promise<ApiResponse> {
  cached ??= openApiDocument();
  return { status: 200, body: cached, headers: { 'cache-control': 'public, max-age=300' } };
}
