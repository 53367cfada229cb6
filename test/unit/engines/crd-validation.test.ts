import { describe, expect, it } from 'vitest';
import { dragonflyBlueprint } from '../../../functions/shared/engines/dragonfly.js';
import { mongodbBlueprint } from '../../../functions/shared/engines/mongodb.js';
import { postgresqlBlueprint } from '../../../functions/shared/engines/postgresql.js';
import { scylladbBlueprint } from '../../../functions/shared/engines/scylladb.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { yugabytedbBlueprint } from '../../../functions/shared/engines/yugabytedb.js';
import { customResourceSchema, validateCustomResource } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are mutated freely to break them
type Any = any;

function renderedCustomResource(bp: Blueprint, kind: string): Any {
  const spec = clusterSpec({ engine: bp.engine, version: bp.versions.at(-1), nodes: 3, settings: {} });
  const obj = bp.render(spec, renderContext({ secrets: { password: 'p' } })).find((o) => o.kind === kind);
  if (!obj) throw new Error(`${bp.engine} renders no ${kind}`);
  return structuredClone(obj);
}

/** Each case breaks a valid rendered object in one way the API server would refuse. */
interface Case {
  readonly what: string;
  readonly mutate: (obj: Any) => void;
  readonly error: RegExp;
}

describe.each([
  {
    crd: 'postgresql.cnpg.io/v1 Cluster (CloudNativePG)',
    bp: postgresqlBlueprint,
    kind: 'Cluster',
    cases: [
      {
        what: 'a wrong field type',
        mutate: (o) => (o.spec.instances = '3'),
        error: /\/spec\/instances must be integer/,
      },
      {
        what: 'a missing required field',
        mutate: (o) => delete o.spec.instances,
        error: /\/spec must have required property 'instances'/,
      },
      {
        what: 'a missing required nested field',
        mutate: (o) => delete o.spec.bootstrap.initdb.secret.name,
        error: /\/spec\/bootstrap\/initdb\/secret must have required property 'name'/,
      },
      {
        what: 'a value outside the enum',
        mutate: (o) => (o.spec.primaryUpdateStrategy = 'sometimes'),
        error: /\/spec\/primaryUpdateStrategy must be equal to one of the allowed values/,
      },
      {
        what: 'an unknown field (server-side apply refuses it)',
        mutate: (o) => (o.spec.replicas = 3),
        error: /\/spec must NOT have additional properties .*replicas/,
      },
      {
        what: 'an invalid quantity',
        mutate: (o) => (o.spec.resources.limits.cpu = 'lots'),
        error: /\/spec\/resources\/limits\/cpu/,
      },
    ] satisfies Case[],
  },
  {
    crd: 'dragonflydb.io/v1alpha1 Dragonfly',
    bp: dragonflyBlueprint,
    kind: 'Dragonfly',
    cases: [
      {
        what: 'a wrong field type',
        mutate: (o) => (o.spec.replicas = 'two'),
        error: /\/spec\/replicas must be integer/,
      },
      {
        what: 'a missing required field',
        mutate: (o) => delete o.spec.authentication.passwordFromSecret.key,
        error: /\/spec\/authentication\/passwordFromSecret must have required property 'key'/,
      },
      {
        what: 'an unknown field (server-side apply refuses it)',
        mutate: (o) => (o.spec.password = 'x'),
        error: /\/spec must NOT have additional properties .*password/,
      },
      {
        what: 'a wrong nested type',
        mutate: (o) => (o.spec.podSecurityContext.runAsUser = '999'),
        error: /\/spec\/podSecurityContext\/runAsUser must be integer/,
      },
    ] satisfies Case[],
  },
  {
    crd: 'mongodbcommunity.mongodb.com/v1 MongoDBCommunity',
    bp: mongodbBlueprint,
    kind: 'MongoDBCommunity',
    cases: [
      {
        what: 'a wrong field type',
        mutate: (o) => (o.spec.members = '3'),
        error: /\/spec\/members must be integer/,
      },
      {
        what: 'a missing required field',
        mutate: (o) => delete o.spec.security,
        error: /\/spec must have required property 'security'/,
      },
      {
        what: 'a missing required nested field',
        mutate: (o) => delete o.spec.users[0].passwordSecretRef.name,
        error: /\/spec\/users\/0\/passwordSecretRef must have required property 'name'/,
      },
      {
        what: 'a value outside the enum',
        mutate: (o) => (o.spec.type = 'Sharded'),
        error: /\/spec\/type must be equal to one of the allowed values/,
      },
      {
        what: 'an unknown field (server-side apply refuses it)',
        mutate: (o) => (o.spec.replicas = 3),
        error: /\/spec must NOT have additional properties .*replicas/,
      },
      {
        what: 'an invalid SCRAM secret name (pattern)',
        mutate: (o) => (o.spec.users[0].scramCredentialsSecretName = 'Not_A_Name'),
        error: /\/spec\/users\/0\/scramCredentialsSecretName must match pattern/,
      },
    ] satisfies Case[],
  },
  {
    crd: 'scylla.scylladb.com/v1 ScyllaCluster',
    bp: scylladbBlueprint,
    kind: 'ScyllaCluster',
    cases: [
      {
        what: 'a wrong field type',
        mutate: (o) => (o.spec.datacenter.racks[0].members = 'three'),
        error: /\/spec\/datacenter\/racks\/0\/members must be integer/,
      },
      {
        what: 'a missing required nested field',
        mutate: (o) =>
          delete o.spec.datacenter.racks[0].placement.podAntiAffinity
            .preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
        error: /podAffinityTerm must have required property 'topologyKey'/,
      },
      {
        what: 'an unknown field (server-side apply refuses it)',
        mutate: (o) => (o.spec.password = 'x'),
        error: /\/spec must NOT have additional properties .*password/,
      },
      {
        what: 'an invalid quantity',
        mutate: (o) => (o.spec.datacenter.racks[0].resources.limits.memory = 'plenty'),
        error: /\/spec\/datacenter\/racks\/0\/resources\/limits\/memory/,
      },
      {
        what: 'a wrong nested type',
        mutate: (o) => (o.spec.developerMode = 'yes'),
        error: /\/spec\/developerMode must be boolean/,
      },
    ] satisfies Case[],
  },
  {
    crd: 'operator.yugabyte.io/v1alpha1 YBUniverse',
    bp: yugabytedbBlueprint,
    kind: 'YBUniverse',
    cases: [
      {
        what: 'a wrong field type',
        mutate: (o) => (o.spec.numNodes = '3'),
        error: /\/spec\/numNodes must be integer/,
      },
      {
        what: 'a missing required nested field',
        mutate: (o) => delete o.spec.ysqlPassword.secretName,
        error: /\/spec\/ysqlPassword must have required property 'secretName'/,
      },
      {
        what: 'an unknown field (server-side apply refuses it)',
        mutate: (o) => (o.spec.ysqlPasswordValue = 'x'),
        error: /\/spec must NOT have additional properties .*ysqlPasswordValue/,
      },
      {
        what: 'a wrong nested type',
        mutate: (o) => (o.spec.deviceInfo.volumeSize = '50Gi'),
        error: /\/spec\/deviceInfo\/volumeSize must be integer/,
      },
      {
        what: 'a non-string gflag value',
        mutate: (o) => (o.spec.gFlags.tserverGFlags.ysql_max_connections = 300),
        error: /\/spec\/gFlags\/tserverGFlags\/ysql_max_connections must be string/,
      },
    ] satisfies Case[],
  },
])('CRD schema: $crd', ({ bp, kind, cases }) => {
  const valid = renderedCustomResource(bp, kind);

  it('accepts the rendered object, and reads the served version from the vendored CRD', () => {
    const schema = customResourceSchema(valid.apiVersion, kind);
    expect(`${schema.group}/${schema.version}`).toBe(valid.apiVersion);
    expect(() => validateCustomResource(valid as KubeObject)).not.toThrow();
  });

  it.each(cases)('refuses $what', ({ mutate, error }) => {
    // Prepare
    const broken = structuredClone(valid);
    mutate(broken);

    // Act & Assess
    expect(() => validateCustomResource(broken)).toThrow(error);
  });

  it('refuses an invalid object name and a wrong apiVersion', () => {
    expect(() =>
      validateCustomResource({ ...valid, metadata: { ...valid.metadata, name: 'Bad_Name' } }),
    ).toThrow(/\/metadata\/name must match pattern/);
    expect(() => customResourceSchema(`${valid.apiVersion}beta9`, kind)).toThrow(/does not serve|No CRD/);
  });
});
