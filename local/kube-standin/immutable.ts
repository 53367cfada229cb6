/**
 * What kube-apiserver refuses on an update (issue #16): the fields a kind does not let change once
 * set, with the causes its `Validate*Update` functions report (release 1.31; 422 `Invalid`):
 *
 * | kind | immutable | words (kubernetes `pkg/apis/*`/validation) |
 * | --- | --- | --- |
 * | StatefulSet | every `spec` field but `replicas`, `ordinals`, `template`, `updateStrategy`, `persistentVolumeClaimRetentionPolicy`, `minReadySeconds` (so `selector`, `serviceName`, `volumeClaimTemplates`, `podManagementPolicy`, `revisionHistoryLimit`) | `spec: Forbidden: updates to statefulset spec for fields other than ... are forbidden` |
 * | Deployment | `spec.selector` | `spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable` |
 * | Job | `spec.selector`, `spec.template`, `spec.completionMode` | `field is immutable` |
 * | Service | `spec.clusterIP`, `spec.clusterIPs` (unless the type changes to or from ExternalName) | `field is immutable`, `may not change once set` |
 * | PersistentVolumeClaim | `spec`, except `resources.requests` of a bound claim, which may grow, not shrink | `spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims`; `spec.resources.requests.storage: Forbidden: field can not be less than previous value` |
 * | Secret, ConfigMap | with `immutable: true`: `data` (and `binaryData`), `immutable` itself; a Secret's `type` always | `Forbidden: field is immutable when \`immutable\` is set` |
 *
 * Also what the Service registry does before validating (`patchAllocatedValues`): an update that
 * leaves `clusterIP`/`clusterIPs` out keeps the allocated ones.
 */
import type { Cause } from './defaults.js';
import { deepEqual, isObject, type Json, type JsonObject } from './fields.js';
import { compareQuantities } from './quantity.js';

const objectAt = (o: JsonObject, key: string): JsonObject => (isObject(o[key]) ? (o[key] as JsonObject) : {});

/** How Go's `%#v` prints a label selector, as `field.Invalid` shows it. */
function goSelector(selector: Json | undefined): string {
  if (!isObject(selector)) return 'null';
  const labels = isObject(selector.matchLabels)
    ? `map[string]string{${Object.entries(selector.matchLabels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(', ')}}`
    : 'map[string]string(nil)';
  const expressions = Array.isArray(selector.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .filter(isObject)
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:[]string{${(Array.isArray(e.values) ? e.values : []).map((v) => JSON.stringify(v)).join(', ')}}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`;
}

const immutable = (field: string, shown: string): Cause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${shown}: field is immutable`,
  field,
});

/** Carries what the registry keeps over an update that leaves it out (a Service's allocated IPs). */
export function keepAllocated(kind: string, old: JsonObject, next: JsonObject): void {
  if (kind !== 'v1/Service') return;
  const oldSpec = objectAt(old, 'spec');
  if (!isObject(next.spec)) return;
  const spec = next.spec;
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return;
  if ((spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP !== undefined) {
    spec.clusterIP = oldSpec.clusterIP;
    if (spec.clusterIPs === undefined && oldSpec.clusterIPs !== undefined)
      spec.clusterIPs = oldSpec.clusterIPs;
  }
}

/** The causes of an update of `old` (stored) into `next` (defaulted) that the kind refuses. */
export function updateCauses(kind: string, old: JsonObject, next: JsonObject): Cause[] {
  const oldSpec = objectAt(old, 'spec');
  const spec = objectAt(next, 'spec');
  switch (kind) {
    case 'apps/v1/StatefulSet': {
      const mutable = [
        'replicas',
        'ordinals',
        'template',
        'updateStrategy',
        'persistentVolumeClaimRetentionPolicy',
        'minReadySeconds',
      ];
      const rest = (s: JsonObject) =>
        Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
      if (deepEqual(rest(spec), rest(oldSpec))) return [];
      return [
        {
          reason: 'FieldValueForbidden',
          message:
            "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
          field: 'spec',
        },
      ];
    }
    case 'apps/v1/Deployment':
      return deepEqual(spec.selector, oldSpec.selector)
        ? []
        : [immutable('spec.selector', goSelector(spec.selector))];
    case 'batch/v1/Job': {
      const causes: Cause[] = [];
      if (!deepEqual(spec.selector, oldSpec.selector))
        causes.push(immutable('spec.selector', goSelector(spec.selector)));
      if (!deepEqual(spec.template, oldSpec.template))
        causes.push(
          immutable('spec.template', `core.PodTemplateSpec${JSON.stringify(spec.template ?? null)}`),
        );
      if (!deepEqual(spec.completionMode, oldSpec.completionMode))
        causes.push(immutable('spec.completionMode', JSON.stringify(spec.completionMode ?? null)));
      return causes;
    }
    case 'v1/Service': {
      // Changing to or from ExternalName releases or allocates the address.
      if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
      const causes: Cause[] = [];
      if (!deepEqual(spec.clusterIP, oldSpec.clusterIP))
        causes.push(immutable('spec.clusterIP', JSON.stringify(spec.clusterIP ?? '')));
      const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
      const oldIps = Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs : [];
      if (oldIps.length > 0 && !deepEqual(ips[0], oldIps[0])) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: []string{${ips.map((ip) => JSON.stringify(ip)).join(', ')}}: may not change once set`,
          field: 'spec.clusterIPs[0]',
        });
      }
      return causes;
    }
    case 'v1/PersistentVolumeClaim': {
      const without = (s: JsonObject) => {
        const { resources: r, volumeAttributesClassName: _v, ...rest } = s;
        const resources = isObject(r) ? r : {};
        const { requests: _r, ...otherResources } = resources;
        return { ...rest, resources: otherResources };
      };
      const bound = objectAt(old, 'status').phase === 'Bound';
      const requestsChanged = !deepEqual(
        objectAt(spec, 'resources').requests,
        objectAt(oldSpec, 'resources').requests,
      );
      if (!deepEqual(without(spec), without(oldSpec)) || (requestsChanged && !bound)) {
        return [
          {
            reason: 'FieldValueForbidden',
            message:
              'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
            field: 'spec',
          },
        ];
      }
      const storage = objectAt(objectAt(spec, 'resources'), 'requests').storage;
      const oldStorage = objectAt(objectAt(oldSpec, 'resources'), 'requests').storage;
      if (
        (typeof storage === 'string' || typeof storage === 'number') &&
        (typeof oldStorage === 'string' || typeof oldStorage === 'number') &&
        (compareQuantities(storage, oldStorage) ?? 0) < 0
      ) {
        return [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field can not be less than previous value',
            field: 'spec.resources.requests.storage',
          },
        ];
      }
      return [];
    }
    case 'v1/Secret':
    case 'v1/ConfigMap': {
      const causes: Cause[] = [];
      if (kind === 'v1/Secret' && !deepEqual(next.type, old.type)) {
        causes.push(immutable('type', JSON.stringify(next.type ?? '')));
      }
      if (old.immutable !== true) return causes;
      const forbidden = (field: string): Cause => ({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field,
      });
      if (next.immutable !== true) causes.push(forbidden('immutable'));
      if (!deepEqual(next.data, old.data)) causes.push(forbidden('data'));
      if (kind === 'v1/ConfigMap' && !deepEqual(next.binaryData, old.binaryData))
        causes.push(forbidden('binaryData'));
      return causes;
    }
    default:
      return [];
  }
}
