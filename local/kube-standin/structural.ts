/**
 * What kube-apiserver does to a custom resource under its CRD's structural schema (Kubernetes docs,
 * "Extend the Kubernetes API with CustomResourceDefinitions": "Field pruning", "Defaulting",
 * "Validation"), in its order: unknown fields are pruned (or, with `fieldValidation=Strict`,
 * refused), `null` is dropped where the schema is not `nullable`, defaults are filled where a field
 * is absent, then types, `required`, `enum`, `pattern` and the length, size and value bounds are
 * checked (422 `Invalid`), in kube-apiserver's words. Formats and CEL rules
 * (`x-kubernetes-validations`) are not checked, nor a pattern JavaScript cannot compile (RE2's
 * inline flags such as `(?i)`).
 */

import type { Cause } from './defaults.js';
import { isObject, type Json, type JsonObject } from './fields.js';
import type { SchemaNode } from './schema.js';

/** Server-managed and identity fields of any object: never pruned. */
const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/**
 * Removes the fields `schema` does not declare (under open nodes, none) and returns their paths
 * (`spec.foo`), which `fieldValidation=Strict` refuses.
 */
export function prune(value: JsonObject, schema: SchemaNode, path = '', root = true): string[] {
  const unknown: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (root && ROOT_FIELDS.has(key)) continue;
    const node =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (node === undefined) {
      if (schema.open || schema.additionalProperties === true) continue;
      unknown.push(here);
      delete value[key];
      continue;
    }
    if (v === null && !node.nullable) {
      delete value[key];
      continue;
    }
    if (node.embedded && isObject(v)) continue;
    if (isObject(v)) unknown.push(...prune(v, node, here, false));
    else if (Array.isArray(v) && node.items) {
      v.forEach((item, i) => {
        if (isObject(item) && node.items) unknown.push(...prune(item, node.items, `${here}[${i}]`, false));
      });
    }
  }
  return unknown;
}

/** Fills absent fields that have a `default` (then their own defaults), in place. */
export function applyDefaults(value: JsonObject, schema: SchemaNode): void {
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && node.default !== undefined) value[key] = structuredClone(node.default);
  }
  for (const [key, v] of Object.entries(value)) {
    const node =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (node === undefined || key === 'metadata') continue;
    if (isObject(v)) applyDefaults(v, node);
    else if (Array.isArray(v) && node.items) {
      for (const item of v) if (isObject(item)) applyDefaults(item, node.items);
    }
  }
}

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const show = (v: Json): string => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'null'));

/** The fields whose value the schema refuses: wrong type, missing when required, not in the enum. */
export function validate(value: Json, schema: SchemaNode, path: string, causes: Cause[] = []): Cause[] {
  const type = typeOf(value);
  if (schema.intOrString) {
    if (type !== 'integer' && type !== 'string') {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${show(value)}: ${path} in body must be of type integer,string: "${type}"`,
        field: path,
      });
    }
    return causes;
  }
  const expected = schema.type;
  if (expected !== undefined && !(type === expected || (expected === 'number' && type === 'integer'))) {
    if (!(value === null && schema.nullable)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${type}": ${path} in body must be of type ${expected}: "${type}"`,
        field: path,
      });
      return causes;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`,
      field: path,
    });
  }
  bounds(value, schema, path, causes);
  if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const node =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (node && !(path === '' && ROOT_FIELDS.has(key)))
        validate(v, node, path === '' ? key : `${path}.${key}`, causes);
    }
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) {
        causes.push({
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: path === '' ? key : `${path}.${key}`,
        });
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      if (schema.items) validate(item, schema.items, `${path}[${i}]`, causes);
    });
  }
  return causes;
}

const patterns = new Map<string, RegExp | null>();
/** A CRD's pattern as a RegExp; null when JavaScript cannot compile it (left unchecked). */
function regexOf(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = null;
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(pattern, flags);
        break;
      } catch {
        // Try without Unicode mode (laxer escapes), else leave it unchecked.
      }
    }
    patterns.set(pattern, re);
  }
  return re;
}

/** `pattern`, `minLength`/`maxLength`, `minItems`/`maxItems`, `minimum`/`maximum`, as kube-apiserver words them. */
function bounds(value: Json, schema: SchemaNode, path: string, causes: Cause[]): void {
  const invalid = (message: string, reason = 'FieldValueInvalid') =>
    causes.push({ reason, message, field: path });
  if (typeof value === 'string') {
    const re = schema.pattern === undefined ? null : regexOf(schema.pattern);
    if (re && !re.test(value))
      invalid(`Invalid value: ${show(value)}: ${path} in body should match '${schema.pattern}'`);
    const length = [...value].length;
    if (schema.maxLength !== undefined && length > schema.maxLength)
      invalid(`Too long: may not be more than ${schema.maxLength} bytes`, 'FieldValueTooLong');
    if (schema.minLength !== undefined && length < schema.minLength)
      invalid(
        `Invalid value: ${show(value)}: ${path} in body should be at least ${schema.minLength} chars long`,
      );
  } else if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      invalid(`Too many: ${value.length}: must have at most ${schema.maxItems} items`, 'FieldValueTooMany');
    if (schema.minItems !== undefined && value.length < schema.minItems)
      invalid(
        `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
      );
  } else if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      invalid(
        `Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}`,
      );
    if (schema.maximum !== undefined && value > schema.maximum)
      invalid(`Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}`);
  }
}
