/**
 * Server-side Tables (`meta.k8s.io/v1` Table), what kubectl prints: the columns kube-apiserver's
 * printers (pkg/printers/internalversion) give the built-in kinds the stand-in serves, and a custom
 * resource's `additionalPrinterColumns`. Ages are rendered as the server renders them
 * (apimachinery's `duration.HumanDuration`).
 */
import { isObject, type Json, type JsonObject } from './fields.js';
import type { KindInfo, PrinterColumn } from './resources.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description: string;
  readonly priority?: number;
  readonly cell: (o: JsonObject, now: number) => Json;
}

const rec = (v: unknown): JsonObject => (isObject(v) ? v : {});
const meta = (o: JsonObject) => rec(o.metadata);
const spec = (o: JsonObject) => rec(o.spec);
const status = (o: JsonObject) => rec(o.status);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v : []);
const orNone = (s: string): string => (s === '' ? '<none>' : s);

/** apimachinery's duration.HumanDuration: `45s`, `5m10s`, `3h`, `2d5h`, `400d`, `3y20d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const age = (o: JsonObject, now: number): string => {
  const created = meta(o).creationTimestamp;
  return typeof created === 'string' ? humanDuration(now - Date.parse(created)) : '<unknown>';
};

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  cell: (o) => String(meta(o).name ?? ''),
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
  cell: age,
};
const col = (name: string, cell: Column['cell'], more: Partial<Column> = {}): Column => ({
  name,
  type: 'string',
  description: name,
  cell,
  ...more,
});
const containers = (o: JsonObject) => list(rec(rec(spec(o).template).spec).containers).map(rec);
const wide = { priority: 1 };
const selectorString = (sel: JsonObject): string => {
  const parts = Object.entries(rec(sel.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(sel.matchExpressions).map(rec)) {
    const values = list(e.values).map(String).join(',');
    if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.join(',');
};
const workloadReady = (o: JsonObject) => `${num(status(o).readyReplicas)}/${num(spec(o).replicas, 1)}`;

/** The wide columns of workloads: their pod template's container names and images. */
const POD_TEMPLATE_COLUMNS = [
  col(
    'Containers',
    (o) =>
      containers(o)
        .map((c) => String(c.name))
        .join(','),
    wide,
  ),
  col(
    'Images',
    (o) =>
      containers(o)
        .map((c) => String(c.image))
        .join(','),
    wide,
  ),
];

/** Columns after Name, by `<apiVersion>/<kind>` (pkg/printers/internalversion/printers.go). */
const BUILTIN_COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  'v1/Namespace': [col('Status', (o) => String(status(o).phase ?? 'Active')), AGE],
  'v1/Secret': [
    col('Type', (o) => String(o.type ?? 'Opaque')),
    col('Data', (o) => Object.keys(rec(o.data)).length, { type: 'string' }),
    AGE,
  ],
  'v1/ConfigMap': [
    col('Data', (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length),
    AGE,
  ],
  'v1/Service': [
    col('Type', (o) => String(spec(o).type ?? 'ClusterIP')),
    col('Cluster-IP', (o) => orNone(String(spec(o).clusterIP ?? ''))),
    col('External-IP', (o) => orNone(list(spec(o).externalIPs).map(String).join(','))),
    col('Port(s)', (o) =>
      orNone(
        list(spec(o).ports)
          .map(rec)
          .map(
            (p) =>
              `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
          )
          .join(','),
      ),
    ),
    AGE,
    col(
      'Selector',
      (o) =>
        orNone(
          Object.entries(rec(spec(o).selector))
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        ),
      wide,
    ),
  ],
  'v1/ResourceQuota': [
    AGE,
    col('Request', (o) =>
      Object.entries(rec(spec(o).hard))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .filter(([k]) => !k.startsWith('limits.'))
        .map(([k, v]) => `${k}: ${String(rec(status(o).used)[k] ?? '0')}/${String(v)}`)
        .join(', '),
    ),
    col('Limit', (o) =>
      Object.entries(rec(spec(o).hard))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .filter(([k]) => k.startsWith('limits.'))
        .map(([k, v]) => `${k}: ${String(rec(status(o).used)[k] ?? '0')}/${String(v)}`)
        .join(', '),
    ),
  ],
  'v1/LimitRange': [col('Created At', (o) => String(meta(o).creationTimestamp ?? ''))],
  'v1/ServiceAccount': [col('Secrets', (o) => list(o.secrets).length), AGE],
  'v1/PersistentVolumeClaim': [
    col('Status', (o) => String(status(o).phase ?? 'Pending')),
    col('Volume', (o) => String(spec(o).volumeName ?? '')),
    col('Capacity', (o) => String(rec(status(o).capacity).storage ?? '')),
    col('Access Modes', (o) =>
      list(status(o).accessModes)
        .map(
          (m) =>
            ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[
              String(m)
            ] ?? String(m),
        )
        .join(','),
    ),
    col('StorageClass', (o) => String(spec(o).storageClassName ?? '<unset>')),
    col('VolumeAttributesClass', (o) => String(spec(o).volumeAttributesClassName ?? '<unset>')),
    AGE,
    col('VolumeMode', (o) => String(spec(o).volumeMode ?? 'Filesystem'), wide),
  ],
  'v1/Pod': [
    col(
      'Ready',
      (o) =>
        `${list(status(o).containerStatuses).filter((c) => isObject(c) && c.ready === true).length}/${list(spec(o).containers).length}`,
    ),
    col('Status', (o) => String(status(o).phase ?? 'Pending')),
    col('Restarts', () => 0, { type: 'string' }),
    AGE,
  ],
  'apps/v1/StatefulSet': [col('Ready', workloadReady), AGE, ...POD_TEMPLATE_COLUMNS],
  'apps/v1/ReplicaSet': [
    col('Desired', (o) => num(spec(o).replicas), { type: 'integer' }),
    col('Current', (o) => num(status(o).replicas), { type: 'integer' }),
    col('Ready', (o) => num(status(o).readyReplicas), { type: 'integer' }),
    AGE,
    ...POD_TEMPLATE_COLUMNS,
    col('Selector', (o) => selectorString(rec(spec(o).selector)), wide),
  ],
  'apps/v1/Deployment': [
    col('Ready', workloadReady),
    col('Up-to-date', (o) => num(status(o).updatedReplicas), { type: 'integer' }),
    col('Available', (o) => num(status(o).availableReplicas), { type: 'integer' }),
    AGE,
    ...POD_TEMPLATE_COLUMNS,
    col('Selector', (o) => selectorString(rec(spec(o).selector)), wide),
  ],
  'networking.k8s.io/v1/NetworkPolicy': [
    col('Pod-Selector', (o) => orNone(selectorString(rec(spec(o).podSelector)))),
    AGE,
  ],
  'policy/v1/PodDisruptionBudget': [
    col('Min Available', (o) => String(spec(o).minAvailable ?? 'N/A')),
    col('Max Unavailable', (o) => String(spec(o).maxUnavailable ?? 'N/A')),
    col('Allowed Disruptions', (o) => num(status(o).disruptionsAllowed), { type: 'integer' }),
    AGE,
  ],
  'rbac.authorization.k8s.io/v1/Role': [col('Created At', (o) => String(meta(o).creationTimestamp ?? ''))],
  'apiextensions.k8s.io/v1/CustomResourceDefinition': [
    col('Created At', (o) => String(meta(o).creationTimestamp ?? '')),
  ],
  'rbac.authorization.k8s.io/v1/RoleBinding': [
    col('Role', (o) => `${String(rec(o.roleRef).kind ?? '')}/${String(rec(o.roleRef).name ?? '')}`),
    AGE,
  ],
};

/**
 * A JSONPath of `additionalPrinterColumns`, the subset CRDs use: `.a.b`, `.a[0]`, and a filter
 * `.a[?(@.k=='v')].b`. Several matches are joined with `,` as the API server joins them.
 */
export function evalJsonPath(obj: Json, path: string): Json[] {
  const steps = path.match(/\.[^.[]+|\[[^\]]*\]/g) ?? [];
  let current: Json[] = [obj];
  for (const step of steps) {
    const next: Json[] = [];
    for (const value of current) {
      if (step.startsWith('.')) {
        if (isObject(value) && value[step.slice(1)] !== undefined) next.push(value[step.slice(1)] as Json);
        continue;
      }
      const inner = step.slice(1, -1);
      const filter = /^\?\(@\.([\w.-]+)\s*==\s*['"](.*)['"]\)$/.exec(inner);
      if (filter && Array.isArray(value)) {
        const [, key = '', expected] = filter;
        for (const item of value) if (isObject(item) && String(item[key]) === expected) next.push(item);
      } else if (/^-?\d+$/.test(inner) && Array.isArray(value)) {
        const i = Number(inner);
        const item = value[i < 0 ? value.length + i : i];
        if (item !== undefined) next.push(item);
      } else if (inner === '*' && Array.isArray(value)) {
        next.push(...value);
      }
    }
    current = next;
  }
  return current;
}

function customColumns(columns: readonly PrinterColumn[]): Column[] {
  return columns.map((c) => ({
    name: c.name,
    type: c.type,
    ...(c.format ? { format: c.format } : {}),
    description: c.description ?? '',
    ...(c.priority ? { priority: c.priority } : {}),
    cell: (o, now) => {
      const found = evalJsonPath(o, c.jsonPath);
      if (found.length === 0) return null;
      if (c.type === 'date') {
        const t = typeof found[0] === 'string' ? Date.parse(found[0]) : Number.NaN;
        return Number.isNaN(t) ? null : humanDuration(now - t);
      }
      if (found.length === 1 && (c.type === 'integer' || c.type === 'number' || c.type === 'boolean'))
        return found[0] as Json;
      return found.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
    },
  }));
}

function columnsOf(kind: KindInfo): readonly Column[] {
  const builtin = BUILTIN_COLUMNS[`${kind.apiVersion}/${kind.kind}`];
  if (builtin) return [NAME, ...builtin];
  if (kind.printerColumns?.length) return [NAME, ...customColumns(kind.printerColumns)];
  return [NAME, AGE];
}

/** A Table of `objects` (a list's items, or one object), as `GET` answers `as=Table`. */
export function toTable(
  kind: KindInfo,
  objects: readonly JsonObject[],
  opts: {
    readonly now: number;
    readonly includeObject: IncludeObject;
    readonly listMetadata?: JsonObject;
    /** Watch events repeat the definitions in every event; `false` leaves them out. @default true */
    readonly columnDefinitions?: boolean;
  },
): JsonObject {
  const columns = columnsOf(kind);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMetadata ?? {},
    columnDefinitions:
      opts.columnDefinitions === false
        ? []
        : columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description,
            priority: c.priority ?? 0,
          })),
    rows: objects.map(
      (o): JsonObject => ({
        cells: columns.map((c) => c.cell(o, opts.now)),
        ...(opts.includeObject === 'None'
          ? {}
          : {
              object:
                opts.includeObject === 'Object'
                  ? ({ apiVersion: kind.apiVersion, kind: kind.kind, ...o } as JsonObject)
                  : {
                      kind: 'PartialObjectMetadata',
                      apiVersion: 'meta.k8s.io/v1',
                      metadata: o.metadata ?? {},
                    },
            }),
      }),
    ),
  };
}
