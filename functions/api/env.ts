import * as z from 'zod';
import { commaList, json, optionalCommaList, requiredString } from '../shared/env.js';
import { objectLockEnv } from '../shared/object-lock.js';
import { ApiUrlsSchema } from './regions.js';

/** What the HTTP pipeline (router.ts) reads, in the api and the reveal functions alike. */
export const httpEnv = {
  TABLE_NAME: requiredString(),
  STRATUS_REGION: requiredString(),
  /** Every configured region, comma-separated. */
  STRATUS_REGIONS: commaList(),
  /** Each region's public API base URL (no trailing slash), for 421 answers; a region may have none. */
  STRATUS_API_URLS: json(ApiUrlsSchema).prefault('{}'),
  /** Origins whose browser pages may read the answers (CORS, cors.ts), comma-separated; may be empty. */
  STRATUS_CORS_ORIGINS: optionalCommaList(),
};

/** The HTTP pipeline's variables alone (tests, and the default of `createRouter`). */
export const HttpEnv = z.object(httpEnv);
export type HttpEnvValues = z.output<typeof HttpEnv>;

/**
 * The page-token key (page-token.ts): the secret's name in AWS; locally no Secrets Manager, so the
 * local runtime sets the key itself as `PAGE_TOKEN_KEY` and leaves `PAGE_TOKEN_SECRET_ID` empty.
 */
export const pageTokenEnv = {
  PAGE_TOKEN_SECRET_ID: z.string().trim().optional(),
  PAGE_TOKEN_KEY: z.string().optional(),
};

const hasPageTokenKey = (e: {
  PAGE_TOKEN_SECRET_ID?: string | undefined;
  PAGE_TOKEN_KEY?: string | undefined;
}) => Boolean(e.PAGE_TOKEN_KEY || e.PAGE_TOKEN_SECRET_ID);
const pageTokenKeyRequired = {
  path: ['PAGE_TOKEN_SECRET_ID'],
  message: 'the page-token secret name (or PAGE_TOKEN_KEY, the key itself)',
};

/** The page-token variables alone, read when the first token is signed. */
export const PageTokenEnv = z.object(pageTokenEnv).refine(hasPageTokenKey, pageTokenKeyRequired);

/** The backup routes' variables (routes/backups.ts reads them when first loaded). */
export const backupEnv = {
  /** The region's backup bucket; unset or empty: backups are refused (409 BACKUPS_NOT_CONFIGURED). */
  BACKUP_BUCKET: z.string().trim().optional(),
  /** Object Lock of the backup buckets (JSON `{mode, days}`; empty: none): schedules keep backups at least `days`. */
  BACKUP_OBJECT_LOCK: objectLockEnv,
  /** Source region -> the bucket of this region with copies of its backups (JSON; `{}`: none). */
  BACKUP_COPIES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        const parsed: unknown = JSON.parse(v || '{}');
        return z.record(z.string(), z.string()).parse(parsed);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'BACKUP_COPIES must be a JSON object of region -> bucket' });
        return z.NEVER;
      }
    }),
};

/** The cluster routes' variables for public endpoints (routes/clusters.ts reads them when first loaded). */
export const endpointEnv = {
  /**
   * Regions whose EKS clusters' gateways have a `databaseIssuer`, comma-separated: clusters
   * created there serve TLS themselves (`tls`). Unset or empty: none.
   */
  TLS_REGIONS: optionalCommaList(),
  /** Regions whose EKS clusters have a gateway, comma-separated; unset or empty: `endpoint.public` is refused everywhere. */
  ENDPOINT_REGIONS: optionalCommaList(),
};

/** The api function's environment (topology.ts `FUNCTIONS.api.environment`). */
export const ApiEnv = z
  .object({ ...httpEnv, ...pageTokenEnv, ...backupEnv, ...endpointEnv })
  .refine(hasPageTokenKey, pageTokenKeyRequired);
