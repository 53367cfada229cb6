/**
 * Renders the published event contracts from the catalog (functions/shared/events/catalog.ts):
 * one JSON Schema per event (the whole EventBridge envelope, `detail` from zod) and the catalog
 * page docs/events.md. Pure: `npm run gen:events` writes the result, the tests compare it with
 * the committed files and validate events against it.
 */
import * as z from 'zod';
import { type DetailType, EVENT_CATALOG, EVENT_SOURCE } from '../functions/shared/events/catalog.js';

/** Where the generated files go, relative to the repository root. */
export const SCHEMA_DIR = 'docs/generated/events';
export const CATALOG_PAGE = 'docs/events.md';

/** Major version of the detail (`detail.schemaVersion`); a breaking change makes a new file. */
const MAJOR = 'v1';

type JsonSchema = Record<string, unknown>;

/** Documentation of each event that is not part of its contract: how its id is built, a rule. */
const DOCS: Record<
  DetailType,
  { readonly eventId: string; readonly rule: { readonly purpose: string; readonly pattern: JsonSchema } }
> = {
  'Cluster Status Changed': {
    eventId: '`<clusterId>/<statusVersion>`: the cluster item counts its status changes.',
    rule: {
      purpose: 'Clusters that became READY or FAILED',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Cluster Status Changed'],
        detail: { status: ['READY', 'FAILED'] },
      },
    },
  },
  'Operation Status Changed': {
    eventId: '`<operationId>/<statusVersion>`: the operation item counts its status changes.',
    rule: {
      purpose: 'Operations that failed because they ran past their deadline',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Operation Status Changed'],
        detail: { status: ['FAILED'], error: { code: ['DEADLINE_EXCEEDED'] } },
      },
    },
  },
  'Backup Status Changed': {
    eventId: '`<backupId>/<statusVersion>`: the backup item counts its status changes.',
    rule: {
      purpose: 'Backups that finished, stored or failed (a failed one leaves the data unprotected)',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Backup Status Changed'],
        detail: { status: ['SUCCEEDED', 'FAILED'] },
      },
    },
  },
  'Backup Restore Test Completed': {
    eventId:
      '`<backupId>/restore-test`: one restore test per backup, so a retried publish is one logical event.',
    rule: {
      purpose: 'Backups that did not restore (learn it before you need them)',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Backup Restore Test Completed'],
        detail: { result: ['FAILED'] },
      },
    },
  },
  'Cluster Drift Detected': {
    eventId:
      '`<clusterId>/drift/<digest>`: the digest covers the findings, so the same drift seen by several reconciler runs is one logical event.',
    rule: {
      purpose: 'Drift the reconciler only reported (a human has to look)',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Cluster Drift Detected'],
        detail: { action: ['reported'] },
      },
    },
  },
  'Cluster Drift Repair Suspended': {
    eventId:
      '`<clusterId>/drift-suspended/<digest>/<first repair time>`: the digest covers the findings and the time names the series of repairs that failed to hold, so a retried publish is one logical event.',
    rule: {
      purpose: 'Drift the reconciler gave up repairing (something rewrites the objects)',
      pattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Cluster Drift Repair Suspended'],
      },
    },
  },
};

/** `Cluster Status Changed` -> `cluster-status-changed`. */
export function kebab(detailType: string): string {
  return detailType
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
}

export function schemaFileName(detailType: DetailType): string {
  return `${kebab(detailType)}.${MAJOR}.schema.json`;
}

export function detailTypes(): DetailType[] {
  return Object.keys(EVENT_CATALOG) as DetailType[];
}

/**
 * The JSON Schema (draft-07) of an event as EventBridge delivers it to a target.
 *
 * Published schemas are open (no `additionalProperties: false`): within `schemaVersion` 1 we may
 * add optional fields, and EventBridge itself adds envelope fields (`replay-name` on replays), so
 * consumers must not reject what they do not know. `closed: true` gives the exact shape Stratus
 * emits today, which the tests use to catch any field we did not mean to publish.
 */
export function eventJsonSchema(
  detailType: DetailType,
  opts: { readonly closed?: boolean } = {},
): JsonSchema {
  const entry = EVENT_CATALOG[detailType];
  const { $schema: _ignored, ...detail } = z.toJSONSchema(entry.schema, {
    target: 'draft-7',
    io: opts.closed ? 'output' : 'input',
  }) as JsonSchema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${detailType} (${EVENT_SOURCE}, schemaVersion 1)`,
    description: entry.description,
    type: 'object',
    properties: {
      version: { type: 'string', const: '0' },
      id: {
        type: 'string',
        description: 'EventBridge id of this delivery; deduplicate on detail.eventId instead.',
      },
      'detail-type': { type: 'string', const: detailType },
      source: { type: 'string', const: EVENT_SOURCE },
      account: { type: 'string', pattern: '^[0-9]{12}$' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      detail,
    },
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
  };
}

/** The catalog example of `detailType` wrapped in the envelope a target receives. */
export function exampleEvent(detailType: DetailType): Record<string, unknown> {
  const detail = EVENT_CATALOG[detailType].example;
  return {
    version: '0',
    id: '6f0c7a52-3f1e-4c8e-9a0b-2d7e5c1b9f34',
    'detail-type': detailType,
    source: EVENT_SOURCE,
    account: '123456789012',
    time: detail.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
    region: detail.region,
    resources: [],
    detail,
  };
}

/** The example EventBridge rule pattern documented for `detailType`. */
export function ruleExample(detailType: DetailType): { purpose: string; pattern: JsonSchema } {
  return DOCS[detailType].rule;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function catalogPage(): string {
  const rows = detailTypes().map((dt) => {
    const file = schemaFileName(dt);
    return `| \`${EVENT_SOURCE}\` | [\`${dt}\`](#${kebab(dt)}) | [\`${file}\`](generated/events/${file}) | ${EVENT_CATALOG[dt].description} |`;
  });
  const sections = detailTypes().map((dt) => {
    const { purpose, pattern } = ruleExample(dt);
    return [
      `## ${dt}`,
      '',
      EVENT_CATALOG[dt].description,
      '',
      `- Schema: [\`${SCHEMA_DIR}/${schemaFileName(dt)}\`](generated/events/${schemaFileName(dt)})`,
      `- \`detail.eventId\`: ${DOCS[dt].eventId}`,
      '',
      'Example, as a target receives it:',
      '',
      '```json',
      JSON.stringify(exampleEvent(dt), null, 2),
      '```',
      '',
      `Rule pattern example (${purpose}):`,
      '',
      '```json',
      JSON.stringify(pattern, null, 2),
      '```',
      '',
    ].join('\n');
  });
  return `${[
    '<!-- Generated by `npm run gen:events` from functions/shared/events/catalog.ts: do not edit. -->',
    '',
    '# Event catalog',
    '',
    'Every state change of a cluster or an operation, and every drift the reconciler finds, is',
    "published on the EventBridge bus `stratus-<stage>` of the cluster's home region, with",
    `\`source: ${EVENT_SOURCE}\`. Subscribe with rules on that bus.`,
    '',
    '| source | detail-type | schema | description |',
    '| ------ | ----------- | ------ | ----------- |',
    ...rows,
    '',
    '## Delivery, deduplication and versions',
    '',
    '- **At least once.** A stream record that is retried, or a PutEvents entry that is sent again,',
    '  reaches your target twice, with a different envelope `id` each time. The logical event is',
    '  identified by **`detail.eventId`**, which is the same on every delivery: keep the ids you',
    '  have handled (for example a DynamoDB item `PutItem` with `attribute_not_exists(pk)` keyed',
    '  by `detail.eventId`, with a TTL of a few days) and skip an id you have already seen.',
    '- **Order** is not guaranteed across events. For the two status events, the number at the end',
    '  of `eventId` (`statusVersion`) grows with every status change of that cluster or operation:',
    '  ignore an event whose version is lower than the last one you applied.',
    '- **Versions.** `detail.schemaVersion` is `"1"`. Within a version, fields may be added (always',
    '  optional); a breaking change publishes a new schema file (`.v2.schema.json`) and a new',
    '  `schemaVersion`. The published schemas are therefore open: do not reject unknown fields.',
    '  EventBridge adds envelope fields of its own too (`replay-name` on archive replays).',
    '- **Schemas** are JSON Schema draft-07 of the whole envelope as a target receives it',
    '  (`detail` generated from the zod schemas of the catalog). They validate every event the',
    '  local runtime publishes in the tests (test/integration/reconciler/published-events.test.ts).',
    '',
    ...sections,
  ].join('\n')}`;
}

/** Every generated file, by path from the repository root, with its content. */
export function renderEventArtifacts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const dt of detailTypes()) files.set(`${SCHEMA_DIR}/${schemaFileName(dt)}`, json(eventJsonSchema(dt)));
  files.set(CATALOG_PAGE, catalogPage());
  return files;
}
