/**
 * Content negotiation as kube-apiserver does it, for the media types the stand-in speaks: JSON,
 * and JSON as a server-side Table (`application/json;as=Table;v=v1;g=meta.k8s.io`, what kubectl
 * asks for to print). Protobuf (`application/vnd.kubernetes.protobuf`, what client-go prefers for
 * built-in kinds) is not answered: an `Accept` that also takes JSON (client-go always adds it)
 * gets JSON, one that takes only protobuf gets 406. Request bodies: JSON, YAML, and protobuf for
 * the kinds kubectl's generators send that way (protobuf.ts); any other type gets 415.
 */
import { ApiError } from './store.js';

/** What a response is to be encoded as. */
export type ResponseFormat = 'json' | 'table';

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

/** `application/json;as=Table;v=v1;g=meta.k8s.io, application/json;q=0.9` -> ranges, best first. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header?.trim()) return [{ type: '*/*', params: {}, q: 1 }];
  const ranges = header.split(',').flatMap((part, index) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (!type) return [];
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params[p.slice(0, eq).trim().toLowerCase()] = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    delete params.q;
    return [{ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index }];
  });
  // Stable: equal weights keep the client's order.
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
}

const jsonLike = (type: string) => type === 'application/json' || type === 'application/*' || type === '*/*';

/**
 * The format of the answer to `accept`, or 406 NotAcceptable. A Table is served only when asked
 * for (meta.k8s.io, v1 or v1beta1) and `tableAllowed` (lists and single objects of resources;
 * not discovery, not Status); `as=PartialObjectMetadata(List)` is not served, so it falls through
 * to the next acceptable range, as the real server does for a conversion it cannot make.
 */
export function negotiate(accept: string | undefined, tableAllowed: boolean): ResponseFormat {
  for (const range of parseAccept(accept)) {
    if (!jsonLike(range.type)) continue;
    const as = range.params.as;
    if (as === undefined) return 'json';
    const tableAsked =
      as === 'Table' &&
      range.params.g === 'meta.k8s.io' &&
      (range.params.v === 'v1' || range.params.v === 'v1beta1');
    if (tableAsked && tableAllowed) return 'table';
  }
  throw new ApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io (the kube stand-in does not speak protobuf); asked for: ${accept ?? ''}`,
  );
}

/** Body types a create or update accepts. */
const BODY_TYPES = new Set(['application/json', 'application/yaml']);
/** Body types of PATCH, by the patch they carry. */
export type PatchType = 'apply' | 'merge' | 'strategic' | 'json';
const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/apply-patch+yaml': 'apply',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

const mediaType = (header: string | undefined): string =>
  (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const unsupported = (type: string, accepted: readonly string[]) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got "${type}")`,
  );

/**
 * The body type of a POST or PUT: JSON, YAML or protobuf (read for a few kinds only:
 * protobuf.ts), else 415. None given is JSON, the server's first type, as kube-apiserver takes it
 * (kubectl's scale client sends none).
 */
export function bodyType(contentType: string | undefined): 'json' | 'yaml' | 'protobuf' {
  const type = mediaType(contentType) || 'application/json';
  if (type === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  if (!BODY_TYPES.has(type)) throw unsupported(type, [...BODY_TYPES]);
  return type === 'application/yaml' ? 'yaml' : 'json';
}

/** The patch a PATCH carries, else 415. */
export function patchType(contentType: string | undefined): PatchType {
  const type = mediaType(contentType);
  const patch = PATCH_TYPES[type];
  if (!patch) throw unsupported(type, Object.keys(PATCH_TYPES));
  return patch;
}
