/**
 * S3 Object Lock on the backup buckets (issue #14; `backupObjectLock` in the deployment config,
 * lib/config.ts): every object a backup writes is locked for `days` from its upload, in
 * `governance` or `compliance` mode. What Stratus does with it: a schedule keeps its backups at
 * least that long (the API refuses a shorter `retentionDays`), a SUCCEEDED backup records
 * `lockedUntil` (its end + `days`: no object it wrote is locked later), a DELETE of a locked backup
 * is refused (`409 BACKUP_LOCKED`), and retention waits for the lock (docs/operations.md).
 * Pure: no SDK imports.
 */
import * as z from 'zod';

export const OBJECT_LOCK_MODES = ['governance', 'compliance'] as const;

export const ObjectLockSchema = z.strictObject({
  mode: z.enum(OBJECT_LOCK_MODES),
  days: z.int().min(1).max(3650),
});
export type ObjectLock = z.infer<typeof ObjectLockSchema>;

/** `BACKUP_OBJECT_LOCK`: the JSON of an ObjectLock, or empty (no lock). */
export const objectLockEnv = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (!raw?.trim()) return undefined;
    try {
      return ObjectLockSchema.parse(JSON.parse(raw));
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'BACKUP_OBJECT_LOCK must be {"mode":"governance"|"compliance","days":1-3650} or empty',
      });
      return z.NEVER;
    }
  });

const DAY_MS = 24 * 3600 * 1000;

/** When the last object a backup that ended at `endedAt` wrote is no longer locked. */
export function lockedUntil(endedAt: Date, lock: ObjectLock): string {
  return new Date(endedAt.getTime() + lock.days * DAY_MS).toISOString();
}

/** Whether a backup's objects are still locked at `now`. */
export function isLocked(backup: { readonly lockedUntil?: string | undefined }, now: Date): boolean {
  return backup.lockedUntil !== undefined && Date.parse(backup.lockedUntil) > now.getTime();
}
