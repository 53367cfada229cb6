import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { BackendTLSPolicy } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/BackendTLSPolicy';
import { GRPCRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ListenerSet } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/ListenerSet';
import { TLSRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/TLSRoute';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from '../../functions/shared/engines/types.js';

type Model = new (data: never) => { validate(): void };

/**
 * kubernetes-models classes by `<apiVersion>/<kind>`, for schema-validating rendered objects; the
 * public endpoint's Gateway API and cert-manager kinds from @kubernetes-models/gateway-api and
 * @kubernetes-models/cert-manager (validators generated from those projects' Go API types, with
 * their patterns, enums, bounds and required fields; unknown fields are not refused).
 */
export const KUBE_MODELS: Readonly<Record<string, Model>> = {
  'v1/Namespace': Namespace as unknown as Model,
  'v1/Secret': Secret as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'v1/ResourceQuota': ResourceQuota as unknown as Model,
  'v1/LimitRange': LimitRange as unknown as Model,
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'batch/v1/Job': Job as unknown as Model,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as Model,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as Model,
  'gateway.networking.k8s.io/v1/ListenerSet': ListenerSet as unknown as Model,
  'gateway.networking.k8s.io/v1/TLSRoute': TLSRoute as unknown as Model,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute as unknown as Model,
  'gateway.networking.k8s.io/v1/GRPCRoute': GRPCRoute as unknown as Model,
  'gateway.networking.k8s.io/v1/BackendTLSPolicy': BackendTLSPolicy as unknown as Model,
  'cert-manager.io/v1/Certificate': Certificate as unknown as Model,
};

/** Validates an object against the Kubernetes OpenAPI schema of its kind; throws when invalid or unknown. */
export function validateKubeObject(obj: KubeObject): void {
  const Model = KUBE_MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`No kubernetes-models class for ${obj.apiVersion} ${obj.kind}`);
  new Model(structuredClone(obj) as never).validate();
}
