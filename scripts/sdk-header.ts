/**
 * The first lines of sdk/generated/openapi.ts (written by scripts/gen-sdk.ts): they name the document it was generated from by its
 * SHA-256, which is how the staleness test knows it (test/unit/sdk/generated.test.ts). Web Crypto
 * is not synchronous and the SDK itself has no node: imports, so this lives with the script.
 */
import { createHash } from 'node:crypto';

export const GENERATED_MARK = 'Generated from docs/openapi.json sha256:';

export function openApiDigest(document: string): string {
  return createHash('sha256').update(document).digest('hex');
}

export function generatedHeader(document: string): string {
  return `/**
 * Do not edit: \`npm run gen:sdk\` writes this file with openapi-typescript 7.13.0.
 * ${GENERATED_MARK}${openApiDigest(document)}
 */
`;
}
