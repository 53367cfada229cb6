import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../local/kube-standin/fields.js';
import { kindSchema } from '../../../local/kube-standin/schema.js';
import {
  builtinModel,
  decodeTyped,
  goType,
  modelCauses,
  parseType,
} from '../../../local/kube-standin/typed.js';

const deployment = (spec: JsonObject): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
  spec,
});
const template = (container: JsonObject): JsonObject => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [container] },
});

describe('Function: builtinModel', () => {
  it("names client-node's model of a built-in kind, and none for a custom resource under *.k8s.io", () => {
    // Act
    const found = [
      builtinModel('apps/v1', 'StatefulSet'),
      builtinModel('v1', 'Service'),
      builtinModel('networking.k8s.io/v1', 'NetworkPolicy'),
      builtinModel('rbac.authorization.k8s.io/v1', 'RoleBinding'),
      builtinModel('gateway.networking.k8s.io/v1', 'Gateway'),
      builtinModel('postgresql.cnpg.io/v1', 'Cluster'),
    ];

    // Assess
    expect(found).toEqual([
      'V1StatefulSet',
      'V1Service',
      'V1NetworkPolicy',
      'V1RoleBinding',
      undefined,
      undefined,
    ]);
  });
});

describe('Function: parseType / goType', () => {
  it.each([
    ['number', 'int32', 'int32'],
    ['number', 'int64', 'int64'],
    ['number', 'double', 'float64'],
    ['Array<V1Container>', '', '[]v1.Container'],
    ['{ [key: string]: string; }', '', 'map[string]string'],
    ['{ [key: string]: string; }', 'byte', 'map[string][]uint8'],
    ['IntOrString', 'int-or-string', 'intstr.IntOrString'],
    ['boolean', '', 'bool'],
  ])('%s (%s) is %s in Go', (type, format, expected) => {
    expect(goType(parseType(type, format))).toBe(expected);
  });
});

describe('Function: decodeTyped', () => {
  const overlay = kindSchema('apps/v1', 'Deployment').root;

  it('drops unknown fields at every depth and names them as kube-apiserver does', () => {
    // Prepare
    const obj = deployment({
      replicas: 2,
      bogus: 1,
      selector: { matchLabels: { app: 'web' } },
      template: template({ name: 'web', image: 'nginx', foo: 'bar', ports: [{ containerPort: 80, x: 1 }] }),
    });

    // Act
    const decoded = decodeTyped(obj, 'V1Deployment', overlay);

    // Assess
    expect(decoded.unknown).toEqual([
      'spec.bogus',
      'spec.template.spec.containers[0].foo',
      'spec.template.spec.containers[0].ports[0].x',
    ]);
    expect(decoded.applyErrors).toEqual([
      '.spec.bogus: field not declared in schema',
      '.spec.template.spec.containers[name="web"].foo: field not declared in schema',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80].x: field not declared in schema',
    ]);
    expect(decoded.typeError).toBeUndefined();
    expect(obj.spec).toEqual({
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: template({ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }),
    });
  });

  it('reports the first value of the wrong type in the words of Go, and drops nulls', () => {
    // Prepare
    const obj = deployment({
      replicas: 'two',
      paused: null,
      selector: { matchLabels: { app: 'web' } },
      template: template({ name: 'web', env: [{ name: 'A', value: 1 }] }),
    });

    // Act
    const decoded = decodeTyped(obj, 'V1Deployment', overlay);

    // Assess
    expect(decoded.typeError).toBe(
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect(decoded.applyErrors).toEqual([
      '.spec.replicas: expected numeric (int or float), got string',
      '.spec.template.spec.containers[name="web"].env[name="A"].value: expected string, got 1',
    ]);
    expect(obj.spec).not.toHaveProperty('paused');
  });

  it('takes quantities as strings or numbers, refuses a fraction where Go has an integer, and reads base64 data', () => {
    // Prepare
    const sized = deployment({
      selector: { matchLabels: { app: 'web' } },
      template: template({ name: 'web', resources: { limits: { cpu: 1, memory: '1Gi' } } }),
    });
    const fraction = deployment({ replicas: 1.5, selector: {}, template: {} });
    const secret: JsonObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: 'YQ==', b: 'no!' },
    };

    // Act
    const quantities = decodeTyped(sized, 'V1Deployment', overlay);
    const fractional = decodeTyped(fraction, 'V1Deployment', overlay);
    const data = decodeTyped(secret, 'V1Secret', kindSchema('v1', 'Secret').root);

    // Assess
    expect(quantities).toMatchObject({ unknown: [], applyErrors: [] });
    expect(quantities.typeError).toBeUndefined();
    expect(fractional.typeError).toBe(
      'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect(data.typeError).toBe('illegal base64 data at input byte 2');
  });
});

describe('Function: modelCauses (kubernetes-models validators)', () => {
  it('reports missing required fields and values outside an enum, as kube-apiserver words them', () => {
    // Prepare
    const obj = deployment({
      selector: { matchLabels: { app: 'web' } },
      template: template({ image: 'nginx', ports: [{ protocol: 'HTTP' }] }),
    });

    // Act
    const causes = modelCauses('apps/v1', 'Deployment', obj);

    // Assess
    expect(causes).toEqual(
      expect.arrayContaining([
        {
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: 'spec.template.spec.containers[0].name',
        },
        {
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: 'spec.template.spec.containers[0].ports[0].containerPort',
        },
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
          field: 'spec.template.spec.containers[0].ports[0].protocol',
        },
      ]),
    );
    expect(causes).toHaveLength(3);
    expect(
      modelCauses('apps/v1', 'Deployment', deployment({ selector: {}, template: template({ name: 'a' }) })),
    ).toEqual([]);
  });
});
