import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { DetailType } from '../../../functions/shared/events/catalog.js';
import { detailTypes, eventJsonSchema, SCHEMA_DIR, schemaFileName } from '../../../scripts/event-docs.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsModule.default;

export interface EventValidator {
  /** Error text for `event` against the published (open) schema of its detail-type, or undefined if valid. */
  published(event: unknown): string | undefined;
  /** Same against the closed schema: fails on any field Stratus does not declare. */
  exact(event: unknown): string | undefined;
}

/**
 * Validates events against the committed schema files in docs/generated/events (what
 * subscribers get), and against the closed variant built in memory (what we mean to emit).
 */
export function eventValidator(): EventValidator {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const published = new Map<string, ValidateFunction>();
  const exact = new Map<string, ValidateFunction>();
  for (const dt of detailTypes()) {
    const file = JSON.parse(readFileSync(`${SCHEMA_DIR}/${schemaFileName(dt)}`, 'utf8')) as object;
    published.set(dt, ajv.compile(file));
    exact.set(dt, ajv.compile(closeEnvelope(eventJsonSchema(dt as DetailType, { closed: true }))));
  }
  const check = (validators: Map<string, ValidateFunction>, event: unknown): string | undefined => {
    const dt = (event as { 'detail-type'?: unknown } | null)?.['detail-type'];
    const validate = typeof dt === 'string' ? validators.get(dt) : undefined;
    if (!validate) return `no schema for detail-type ${JSON.stringify(dt)}`;
    return validate(event) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'event' });
  };
  return { published: (e) => check(published, e), exact: (e) => check(exact, e) };
}

/** The envelope is open even in the closed variant (EventBridge adds fields); close it for our own events. */
function closeEnvelope(schema: Record<string, unknown>): Record<string, unknown> {
  return { ...schema, additionalProperties: false };
}
