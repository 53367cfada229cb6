/**
 * CRDs installed through the API (apiextensions.k8s.io/v1 CustomResourceDefinitions, issue #16):
 * once one is stored, each of its served versions is a kind the stand-in serves (discovery, REST,
 * Tables from its `additionalPrinterColumns`, short names and categories) with its
 * `openAPIV3Schema` as the structural schema its objects are pruned, defaulted and validated
 * against (schema.ts, structural.ts) and the schema `kubectl explain` reads (openapi.ts). A change
 * of the CRD changes them; deleting it stops serving them and deletes their objects, as the
 * apiextensions controllers do.
 *
 * A CRD for a kind the stand-in serves already (the operators' kinds of resources.ts) replaces its
 * schema while it is installed; deleting it leaves the kind served with its vendored CRD, and its
 * objects in place.
 */
import { isObject, type JsonObject } from './fields.js';
import type { KindInfo, PrinterColumn } from './resources.js';
import type { RawSchema } from './schema.js';

export const CRD_API_VERSION = 'apiextensions.k8s.io/v1';
export const CRD_KIND = 'CustomResourceDefinition';

export const isCrd = (obj: JsonObject): boolean =>
  obj.apiVersion === CRD_API_VERSION && obj.kind === CRD_KIND;

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

export class InstalledCrds {
  /** What each installed CRD (by name) added: its kinds, and its schemas' keys. */
  private readonly added = new Map<string, { kinds: KindInfo[]; schemas: string[] }>();
  /** Bumped on every change: the OpenAPI index's hashes follow it. */
  revision = 0;

  constructor(
    /** The stand-in's kinds, changed in place. */
    private readonly kinds: KindInfo[],
    /** `<apiVersion>/<kind>` -> schema, changed in place (store.ts and openapi.ts read it). */
    readonly schemas: Map<string, RawSchema>,
    /** Deletes every object of a kind a deleted CRD served. */
    private readonly removeObjects: (kind: KindInfo) => void,
  ) {}

  /** Serves what `crd` (as stored) defines; `deleted`: stops serving it and deletes its objects. */
  sync(crd: JsonObject, deleted: boolean): void {
    const name = isObject(crd.metadata) ? String(crd.metadata.name ?? '') : '';
    const before = this.added.get(name) ?? { kinds: [], schemas: [] };
    for (const key of before.schemas) this.schemas.delete(key);
    for (const kind of before.kinds) {
      const at = this.kinds.indexOf(kind);
      if (at >= 0) this.kinds.splice(at, 1);
    }
    this.added.delete(name);
    this.revision++;
    const next = deleted ? { kinds: [], schemas: [] } : this.define(crd);
    if (!deleted) this.added.set(name, next);
    // The objects of a kind no longer served go with it.
    for (const kind of before.kinds) {
      if (!next.kinds.some((k) => k.apiVersion === kind.apiVersion && k.plural === kind.plural)) {
        this.removeObjects(kind);
      }
    }
  }

  private define(crd: JsonObject): { kinds: KindInfo[]; schemas: string[] } {
    const spec = isObject(crd.spec) ? crd.spec : {};
    const names = isObject(spec.names) ? spec.names : {};
    const group = typeof spec.group === 'string' ? spec.group : '';
    const kindName = typeof names.kind === 'string' ? names.kind : '';
    const plural = typeof names.plural === 'string' ? names.plural : '';
    const out = { kinds: [] as KindInfo[], schemas: [] as string[] };
    if (!group || !kindName || !plural) return out;
    for (const version of Array.isArray(spec.versions) ? spec.versions : []) {
      if (!isObject(version) || version.served !== true || typeof version.name !== 'string') continue;
      const apiVersion = `${group}/${version.name}`;
      const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
      if (isObject(schema)) {
        this.schemas.set(`${apiVersion}/${kindName}`, schema as RawSchema);
        out.schemas.push(`${apiVersion}/${kindName}`);
      }
      if (
        this.kinds.some((k) => k.apiVersion === apiVersion && (k.plural === plural || k.kind === kindName))
      ) {
        continue; // served already (a kind of resources.ts): its schema is replaced, not the kind
      }
      const columns = Array.isArray(version.additionalPrinterColumns)
        ? (version.additionalPrinterColumns.filter(isObject) as unknown as PrinterColumn[])
        : [];
      const shortNames = strings(names.shortNames);
      const categories = strings(names.categories);
      const kind: KindInfo = {
        apiVersion,
        kind: kindName,
        plural,
        namespaced: spec.scope !== 'Cluster',
        generation: true,
        ...(shortNames ? { shortNames } : {}),
        ...(categories ? { categories } : {}),
        ...(columns.length > 0 ? { printerColumns: columns } : {}),
      };
      this.kinds.push(kind);
      out.kinds.push(kind);
    }
    return out;
  }
}
