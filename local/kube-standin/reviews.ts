/**
 * The review APIs kubectl asks who it is and what it may do (issue #16): `kubectl auth can-i`
 * (authorization.k8s.io/v1 SelfSubjectAccessReview; `--list`: SelfSubjectRulesReview) and
 * `kubectl auth whoami` (authentication.k8s.io/v1 SelfSubjectReview). Create-only and not stored,
 * as on a real server.
 *
 * The stand-in's access model: whoever holds its bearer token may do everything (it has no RBAC),
 * except what an injected `rejections` fault refuses (server.ts, KubeStandinFaults): a review of a
 * verb and kind such a rule answers 403 is denied, with the rule's message as the reason. Any
 * other review is allowed, with a reason that says why.
 */
import { isObject, type JsonObject } from './fields.js';
import type { KindInfo } from './resources.js';
import { ApiError } from './store.js';

/** The user the stand-in's token authenticates (what `kubectl auth whoami` prints). */
export const STANDIN_USER = 'stratus-local';
const GROUPS = ['system:masters', 'system:authenticated'];

/** Discovery's resources of the review group-versions. */
export const REVIEW_RESOURCES: Readonly<Record<string, ReadonlyArray<JsonObject>>> = {
  'authorization.k8s.io/v1': [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
    {
      name: 'selfsubjectrulesreviews',
      singularName: 'selfsubjectrulesreview',
      namespaced: false,
      kind: 'SelfSubjectRulesReview',
      verbs: ['create'],
    },
  ],
  'authentication.k8s.io/v1': [
    {
      name: 'selfsubjectreviews',
      singularName: 'selfsubjectreview',
      namespaced: false,
      kind: 'SelfSubjectReview',
      verbs: ['create'],
    },
  ],
};

/** A verb's HTTP method, as the injected rejections name requests. */
const METHOD_OF: Readonly<Record<string, string>> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

export interface Rejection {
  readonly method?: string;
  readonly kind?: string;
  readonly status: number;
  readonly message: string;
}

/** Whether `segments` (the URL path) is one of the review resources: its kind, else undefined. */
export function reviewOf(segments: readonly string[]): string | undefined {
  const [root, group, version, resource, ...rest] = segments;
  if (root !== 'apis' || rest.length > 0 || !group || !version || !resource) return undefined;
  const found = REVIEW_RESOURCES[`${group}/${version}`]?.find((r) => r.name === resource);
  return found ? String(found.kind) : undefined;
}

/**
 * The answer to a review (`kind`, from reviewOf) POSTed with `body`: the review with its status.
 * `kindOf` resolves the resource a SelfSubjectAccessReview asks about.
 */
export function answerReview(
  kind: string,
  method: string,
  body: unknown,
  rejections: readonly Rejection[],
  kindOf: (group: string, resource: string) => KindInfo | undefined,
): JsonObject {
  if (method !== 'POST') {
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }
  if (!isObject(body) || body.kind !== kind) {
    throw new ApiError(400, 'BadRequest', `the body of the request must be a ${kind}`);
  }
  const review = structuredClone(body);
  const metadata = isObject(review.metadata) ? review.metadata : {};
  review.metadata = { ...metadata, creationTimestamp: null };
  const spec = isObject(review.spec) ? review.spec : {};
  switch (kind) {
    case 'SelfSubjectReview':
      review.status = { userInfo: { username: STANDIN_USER, groups: GROUPS } };
      return review;
    case 'SelfSubjectRulesReview':
      review.status = {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
      return review;
    default: {
      const attributes = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
      if (!attributes && !isObject(spec.nonResourceAttributes)) {
        throw new ApiError(
          422,
          'Invalid',
          'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        );
      }
      const target = attributes
        ? kindOf(String(attributes.group ?? ''), String(attributes.resource ?? ''))
        : undefined;
      const verb = String(attributes?.verb ?? '');
      const rejection = rejections.find(
        (r) =>
          r.status === 403 &&
          (r.method === undefined || r.method === METHOD_OF[verb]) &&
          (r.kind === undefined || r.kind === target?.kind),
      );
      review.status = rejection
        ? { allowed: false, denied: true, reason: rejection.message }
        : {
            allowed: true,
            reason: 'the kube stand-in has no RBAC: its bearer token may do everything',
          };
      return review;
    }
  }
}
