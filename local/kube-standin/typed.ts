/**
 * The types of built-in kinds (issue #16), for what kube-apiserver does while decoding a body into
 * its Go structs: a field the struct does not have is unknown (dropped with a `Warning`, or refused
 * under `fieldValidation=Strict`), a value of the wrong JSON type fails the decoding (400), `null`
 * leaves the field unset. Server-side apply converts the applied object to its schema instead and
 * refuses unknown fields whatever `fieldValidation` says (KEP-2885, "Apply Patch").
 *
 * Source: the models @kubernetes/client-node generates from the Kubernetes OpenAPI document
 * (openapi-generator): each model's `attributeTypeMap` names the JSON fields of one Go struct and
 * their types (`number` with format `int32`/`int64`, `Array<V1Container>`, `{ [key: string]:
 * string; }`, `IntOrString`, `Date`, `any`...). Nothing here is written by hand but the list of
 * Kubernetes' own API groups. kubernetes-models' validators (schema.ts: required fields and
 * enums) do not say which fields a struct has: the Kubernetes OpenAPI has no
 * `additionalProperties: false`.
 */
import { createRequire } from 'node:module';
import * as models from '@kubernetes/client-node';
import { isObject, type Json, type JsonObject } from './fields.js';
import { childOf, type SchemaNode } from './schema.js';

/** A field's type, parsed from an `attributeTypeMap` entry. */
export type TypeRef =
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'array'; readonly items: TypeRef }
  | { readonly kind: 'map'; readonly values: TypeRef }
  | {
      readonly kind: 'scalar';
      readonly type: 'string' | 'number' | 'boolean' | 'date' | 'intOrString' | 'any';
      readonly format: string;
    };

interface Attribute {
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

/** The API groups Kubernetes serves itself (not custom resources, even under `*.k8s.io`). */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'authorization.k8s.io',
  'authentication.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'resource.k8s.io',
]);

const registry = models as unknown as Record<string, { attributeTypeMap?: readonly Attribute[] } | undefined>;
const fieldsCache = new Map<string, ReadonlyMap<string, TypeRef> | undefined>();

/** The JSON fields of a model and their types; undefined for a name client-node does not have. */
export function modelFields(model: string): ReadonlyMap<string, TypeRef> | undefined {
  if (fieldsCache.has(model)) return fieldsCache.get(model);
  const attributes = registry[model]?.attributeTypeMap;
  const fields = attributes
    ? new Map(attributes.map((a) => [a.baseName, parseType(a.type, a.format)] as const))
    : undefined;
  fieldsCache.set(model, fields);
  return fields;
}

export function parseType(type: string, format: string): TypeRef {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { kind: 'array', items: parseType(array[1] as string, '') };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', values: parseType(map[1] as string, format) };
  switch (type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'any':
      return { kind: 'scalar', type, format };
    case 'Date':
      return { kind: 'scalar', type: 'date', format };
    case 'IntOrString':
      return { kind: 'scalar', type: 'intOrString', format };
    default:
      return { kind: 'model', model: type };
  }
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The client-node model of a built-in kind (`apps/v1` `StatefulSet` -> `V1StatefulSet`), else undefined. */
export function builtinModel(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!BUILTIN_GROUPS.has(group ?? '') || !version) return undefined;
  // A name two groups share takes the group's prefix (CoreV1Event, EventsV1Event).
  const prefix = pascal((group ?? '').split('.')[0] || 'core');
  for (const model of [`${prefix}${pascal(version)}${kind}`, `${pascal(version)}${kind}`]) {
    if (modelFields(model)?.has('kind')) return model;
  }
  return undefined;
}

/** The Go name of a model's struct: `V1PodSpec` -> `PodSpec`, `CoreV1EndpointPort` -> `EndpointPort`. */
export const goStruct = (model: string): string =>
  model.replace(/^(?:[A-Z][a-z]+)?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '');

/** How Go prints the type of a field (`v1.PodSpec`, `[]v1.Container`, `map[string]string`, `int32`). */
export function goType(type: TypeRef): string {
  switch (type.kind) {
    case 'model':
      return `v1.${goStruct(type.model)}`;
    case 'array':
      return `[]${goType(type.items)}`;
    case 'map':
      return `map[string]${goType(type.values)}`;
    default:
      switch (type.type) {
        case 'number':
          return type.format === 'int32' || type.format === 'int64' ? type.format : 'float64';
        case 'boolean':
          return 'bool';
        case 'date':
          return 'v1.Time';
        case 'intOrString':
          return 'intstr.IntOrString';
        case 'any':
          return 'interface {}';
        default:
          return type.format === 'byte' ? '[]uint8' : 'string';
      }
  }
}

/** What a write does to the fields the schema does not know and the values of the wrong type. */
export interface TypedDecode {
  /** Paths of the fields dropped as unknown, as kube-apiserver names them (`spec.containers[0].foo`). */
  readonly unknown: string[];
  /** The first value that cannot be decoded, in Go's words; the write fails (400). */
  typeError?: string;
  /** Server-side apply's wording of the same errors (`.spec.foo: field not declared in schema`). */
  readonly applyErrors: string[];
}

const INT_RANGE = { int32: 2 ** 31, int64: 2 ** 63 } as const;

/** The JSON type Go names in an UnmarshalTypeError. */
function jsonTypeOf(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/** Why `v` does not fit a scalar `type` (server-side apply's words), or undefined when it fits. */
function scalarMismatch(
  v: Json,
  type: TypeRef & { kind: 'scalar' },
): { go: string; apply: string } | undefined {
  const json = jsonTypeOf(v);
  switch (type.type) {
    case 'any':
      return undefined;
    case 'string':
    case 'date':
      if (typeof v !== 'string') return { go: json, apply: `expected string, got ${JSON.stringify(v)}` };
      if (type.format === 'byte') {
        const bad = badBase64(v);
        if (bad !== undefined)
          return { go: `base64 ${bad}`, apply: `illegal base64 data at input byte ${bad}` };
      }
      return undefined;
    case 'boolean':
      return typeof v === 'boolean'
        ? undefined
        : { go: json, apply: `expected boolean, got ${JSON.stringify(v)}` };
    case 'intOrString':
      if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return undefined;
      return {
        go: typeof v === 'number' ? `number ${v}` : json,
        apply: `expected string or numeric, got ${JSON.stringify(v)}`,
      };
    default: {
      if (typeof v !== 'number') return { go: json, apply: `expected numeric (int or float), got ${json}` };
      const range = INT_RANGE[type.format as keyof typeof INT_RANGE];
      if (range !== undefined && (!Number.isInteger(v) || v < -range || v >= range)) {
        return { go: `number ${v}`, apply: `expected numeric (int or float), got ${v}` };
      }
      return undefined;
    }
  }
}

/** The index of the first byte that makes `s` invalid standard base64, else undefined. */
function badBase64(s: string): number | undefined {
  const body = s.replace(/={1,2}$/, '');
  const at = body.search(/[^A-Za-z0-9+/]/);
  if (at >= 0) return at;
  if (s.length % 4 !== 0) return Math.floor(s.length / 4) * 4;
  return undefined;
}

/**
 * Decodes a built-in object (`model`, its root) in place as kube-apiserver's JSON decoder does:
 * unknown fields and `null` values removed (the unknown ones listed), the first value of the wrong
 * type reported. `overlay` is the kind's table in schema.ts: its quantities are checked there (a
 * quantity decodes from a string or a number), and its list-map keys name list items in apply's
 * paths.
 */
export function decodeTyped(obj: JsonObject, model: string, overlay: SchemaNode | undefined): TypedDecode {
  const out: TypedDecode = { unknown: [], applyErrors: [] };
  walkModel(obj, model, overlay, { path: '', applyPath: '', goPath: '' }, out, true);
  return out;
}

interface Where {
  /** kube-apiserver's path of a field: `spec.containers[0].foo`. */
  readonly path: string;
  /** Server-side apply's: `.spec.containers[name="web"].foo`. */
  readonly applyPath: string;
  /** Go's, in an UnmarshalTypeError: `spec.containers.foo` (no indices). */
  readonly goPath: string;
}

const ROOT_SERVER_FIELDS = new Set(['status']);

function walkModel(
  obj: JsonObject,
  model: string,
  overlay: SchemaNode | undefined,
  at: Where,
  out: TypedDecode,
  root = false,
): void {
  const fields = modelFields(model);
  if (!fields) return;
  for (const [key, value] of Object.entries(obj)) {
    const field = (p: string, sep: string) => (p === '' ? key : `${p}${sep}${key}`);
    const here: Where = {
      path: field(at.path, '.'),
      applyPath: `${at.applyPath}.${key}`,
      goPath: field(at.goPath, '.'),
    };
    const type = fields.get(key);
    if (type === undefined) {
      if (root && ROOT_SERVER_FIELDS.has(key)) continue;
      out.unknown.push(here.path);
      out.applyErrors.push(`${here.applyPath}: field not declared in schema`);
      delete obj[key];
      continue;
    }
    if (value === null) {
      delete obj[key];
      continue;
    }
    walkValue(value, type, childOf(overlay, key), here, out, goStruct(model));
  }
}

function walkValue(
  value: Json,
  type: TypeRef,
  overlay: SchemaNode | undefined,
  at: Where,
  out: TypedDecode,
  struct: string,
): void {
  const mismatch = (go: string, apply: string) => {
    out.typeError ??= `json: cannot unmarshal ${go} into Go struct field ${struct}.${at.goPath} of type ${goType(type)}`;
    out.applyErrors.push(`${at.applyPath}: ${apply}`);
  };
  // A quantity (resources, sizes) decodes from a string or a number: quantity.ts checks it.
  if (overlay?.quantity) return;
  switch (type.kind) {
    case 'model':
      if (!isObject(value)) {
        mismatch(jsonTypeOf(value), `expected map, got ${jsonTypeOf(value)}`);
        return;
      }
      walkModel(value, type.model, overlay, at, out);
      return;
    case 'map':
      if (!isObject(value)) {
        mismatch(jsonTypeOf(value), `expected map, got ${jsonTypeOf(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        if (v === null) continue;
        const node =
          overlay && typeof overlay.additionalProperties === 'object'
            ? overlay.additionalProperties
            : undefined;
        walkValue(
          v,
          type.values,
          node,
          { ...at, path: `${at.path}.${k}`, applyPath: `${at.applyPath}.${k}` },
          out,
          struct,
        );
      }
      return;
    case 'array':
      if (!Array.isArray(value)) {
        mismatch(jsonTypeOf(value), `expected list, got ${jsonTypeOf(value)}`);
        return;
      }
      value.forEach((item, i) => {
        if (item === null) return;
        const keys = overlay?.listType === 'map' ? (overlay.listMapKeys ?? []) : [];
        const named =
          keys.length > 0 && isObject(item)
            ? `[${keys
                .filter((k) => item[k] !== undefined)
                .map((k) => `${k}=${JSON.stringify(item[k])}`)
                .join(',')}]`
            : `[${i}]`;
        walkValue(
          item,
          type.items,
          overlay?.items,
          { path: `${at.path}[${i}]`, applyPath: `${at.applyPath}${named}`, goPath: at.goPath },
          out,
          struct,
        );
      });
      return;
    default: {
      const wrong = scalarMismatch(value, type);
      if (wrong === undefined) return;
      if (wrong.go.startsWith('base64 ')) {
        out.typeError ??= `illegal base64 data at input byte ${wrong.go.slice('base64 '.length)}`;
        out.applyErrors.push(`${at.applyPath}: ${wrong.apply}`);
        return;
      }
      mismatch(wrong.go, wrong.apply);
      return;
    }
  }
}

// --- validation: kubernetes-models' validators ---------------------------------------------------

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: { readonly missingProperty?: string; readonly allowedValues?: readonly Json[] };
}
type ModelClass = { prototype: { validate(this: unknown): void } };

const requireModel = createRequire(import.meta.url);
const validators = new Map<string, ModelClass | undefined>();

/** kubernetes-models' class of a built-in kind (`kubernetes-models/apps/v1/StatefulSet`), else undefined. */
function validatorOf(apiVersion: string, kind: string): ModelClass | undefined {
  const id = `${apiVersion}/${kind}`;
  if (validators.has(id)) return validators.get(id);
  let found: ModelClass | undefined;
  if (builtinModel(apiVersion, kind)) {
    try {
      found = (requireModel(`kubernetes-models/${id}`) as Record<string, ModelClass | undefined>)[kind];
    } catch {
      found = undefined;
    }
  }
  validators.set(id, found);
  return found;
}

/** `/spec/containers/0` -> `spec.containers[0]` (a JSON pointer as kube-apiserver names a field). */
function fieldOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`), '');
}

const quote = (v: Json) => JSON.stringify(v);

/**
 * The fields of a built-in object that kubernetes-models' validator (generated from the Kubernetes
 * OpenAPI) refuses: a required field missing (`Required value`), a value outside the field's enum
 * (`Unsupported value`), as kube-apiserver's validation words them (422 `Invalid`). Types are
 * checked while decoding (decodeTyped); formats are not checked.
 */
export function modelCauses(
  apiVersion: string,
  kind: string,
  obj: JsonObject,
): Array<{ reason: string; message: string; field: string }> {
  const Model = validatorOf(apiVersion, kind);
  if (!Model) return [];
  const { status: _status, ...checked } = obj;
  try {
    Model.prototype.validate.call(checked);
    return [];
  } catch (e) {
    const errors = ((e as { errors?: AjvError[] }).errors ?? []) as AjvError[];
    const causes = new Map<string, { reason: string; message: string; field: string }>();
    for (const err of errors) {
      const base = fieldOf(err.instancePath);
      if (err.keyword === 'required' && err.params.missingProperty) {
        const field = base === '' ? err.params.missingProperty : `${base}.${err.params.missingProperty}`;
        causes.set(field, { reason: 'FieldValueRequired', message: 'Required value', field });
      } else if (err.keyword === 'enum' && err.params.allowedValues) {
        const value = err.instancePath
          .split('/')
          .slice(1)
          .reduce<Json | undefined>(
            (v, s) =>
              Array.isArray(v)
                ? v[Number(s)]
                : isObject(v)
                  ? v[s.replaceAll('~1', '/').replaceAll('~0', '~')]
                  : undefined,
            checked,
          );
        causes.set(base, {
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${quote(value ?? null)}: supported values: ${err.params.allowedValues.map(quote).join(', ')}`,
          field: base,
        });
      }
    }
    return [...causes.values()];
  }
}
