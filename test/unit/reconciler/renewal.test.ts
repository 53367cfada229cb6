import { describe, expect, it } from 'vitest';
import {
  decideRenewal,
  RENEWAL_FIELD_MANAGER,
  renewalFields,
  TLS_NOT_BEFORE_ANNOTATION,
  TLS_RESTARTED_FOR_ANNOTATION,
} from '../../../functions/reconciler/renewal.js';
import type { ClusterSpec } from '../../../functions/shared/domain/cluster.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { blueprints, getBlueprint } from '../../../functions/shared/engines/registry.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { clusterSpec } from '../../helpers/kube-fixtures.js';

const ISSUED = '2026-11-01T10:00:00Z';
const RENEWED = '2027-01-01T10:00:00Z';
const READY: Pick<ClusterRecord, 'status' | 'activeOperationId' | 'maintenance'> = { status: 'READY' };

const blueprint = (engine: string): Blueprint => {
  const bp = getBlueprint(engine);
  if (!bp) throw new Error(`no blueprint ${engine}`);
  return bp;
};
const tlsSpec = (engine: string, over: Partial<ClusterSpec> = {}): ClusterSpec =>
  clusterSpec({ engine, version: blueprint(engine).versions.at(-1), tls: true, ...over });
const ns = namespaceOf(clusterSpec().clusterId);

/** The live objects the sweep lists: the issued Certificate and the restart target, as listed. */
function live(
  target: { apiVersion: string; kind: string; name: string },
  opts: { notBefore?: string | undefined; served?: string } = {},
): KubeObject[] {
  const notBefore = 'notBefore' in opts ? opts.notBefore : ISSUED;
  return [
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'stratus-tls', namespace: ns },
      spec: { secretName: 'stratus-tls' },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        ...(notBefore !== undefined ? { notBefore } : {}),
      },
    },
    {
      apiVersion: target.apiVersion,
      kind: target.kind,
      metadata: {
        name: target.name,
        namespace: ns,
        ...(opts.served ? { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: opts.served } } : {}),
      },
      spec: {},
    },
  ];
}
const VALKEY = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'valkey' };
const DRAGONFLY = { apiVersion: 'dragonflydb.io/v1alpha1', kind: 'Dragonfly', name: 'dragonfly' };

describe('Function: decideRenewal', () => {
  it('records the certificate on a target without the annotation, without restarting it (its pods started with it)', () => {
    // Act
    const decision = decideRenewal(READY, blueprint('valkey'), tlsSpec('valkey'), live(VALKEY));

    // Assess: metadata only, no pod template change
    expect(decision).toEqual({
      action: 'record',
      target: { ...VALKEY, podAnnotations: ['spec', 'template', 'metadata', 'annotations'] },
      notBefore: ISSUED,
      patch: { metadata: { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: ISSUED } } },
    });
  });

  it('does nothing when the target serves the certificate issued last', () => {
    // Act & Assess
    expect(
      decideRenewal(READY, blueprint('valkey'), tlsSpec('valkey'), live(VALKEY, { served: ISSUED })),
    ).toEqual({ action: 'none' });
  });

  it("restarts when cert-manager issued another: the annotation and the pod template's in one patch", () => {
    // Act
    const decision = decideRenewal(
      READY,
      blueprint('valkey'),
      tlsSpec('valkey'),
      live(VALKEY, { notBefore: RENEWED, served: ISSUED }),
    );

    // Assess
    expect(decision).toMatchObject({ action: 'restart', notBefore: RENEWED, previous: ISSUED });
    expect(decision.action !== 'none' && decision.patch).toEqual({
      metadata: { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: RENEWED } },
      spec: { template: { metadata: { annotations: { [TLS_RESTARTED_FOR_ANNOTATION]: RENEWED } } } },
    });
  });

  it("restarts Dragonfly through its Dragonfly's podMetadata (the operator rewrites its StatefulSet)", () => {
    // Act
    const decision = decideRenewal(
      READY,
      blueprint('dragonfly'),
      tlsSpec('dragonfly'),
      live(DRAGONFLY, { notBefore: RENEWED, served: ISSUED }),
    );

    // Assess
    expect(decision.action !== 'none' && decision.patch).toEqual({
      metadata: { annotations: { [TLS_NOT_BEFORE_ANNOTATION]: RENEWED } },
      spec: { podMetadata: { annotations: { [TLS_RESTARTED_FOR_ANNOTATION]: RENEWED } } },
    });
  });

  it.each([
    ['not READY', { status: 'UPDATING' }],
    ['with an active operation', { status: 'READY', activeOperationId: 'op-01jd8w00000000000000000001' }],
    ['under maintenance', { status: 'READY', maintenance: true }],
  ] as const)('does nothing for a cluster %s', (_, cluster) => {
    // Act & Assess
    expect(
      decideRenewal(
        cluster as Pick<ClusterRecord, 'status'>,
        blueprint('valkey'),
        tlsSpec('valkey'),
        live(VALKEY, { notBefore: RENEWED, served: ISSUED }),
      ),
    ).toEqual({ action: 'none' });
  });

  it.each(['postgresql', 'mongodb', 'scylladb'])(
    'does nothing for %s, which picks up a renewed certificate by itself',
    (engine) => {
      // Prepare: whatever the objects say
      const objects = live(
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: engine },
        { notBefore: RENEWED },
      );

      // Act & Assess
      expect(blueprint(engine).tls?.renewal.kind).toBe('reloads');
      expect(decideRenewal(READY, blueprint(engine), tlsSpec(engine), objects)).toEqual({ action: 'none' });
    },
  );

  it('does nothing without TLS, before the certificate is issued, or without its target', () => {
    // Act & Assess
    const bp = blueprint('valkey');
    const none = { action: 'none' };
    expect(decideRenewal(READY, bp, tlsSpec('valkey', { tls: false }), live(VALKEY))).toEqual(none);
    expect(decideRenewal(READY, bp, tlsSpec('valkey'), live(VALKEY, { notBefore: undefined }))).toEqual(none);
    expect(decideRenewal(READY, bp, tlsSpec('valkey'), live(VALKEY).slice(0, 1))).toEqual(none);
    expect(decideRenewal(READY, blueprint('yugabytedb'), tlsSpec('yugabytedb'), [])).toEqual(none);
  });

  it('names a target every restarting engine renders, and a field manager that is not the provisioner’s', () => {
    // Act & Assess
    const restarting = Object.values(blueprints).filter((bp) => bp.tls?.renewal.kind === 'restart');
    expect(restarting.map((bp) => bp.engine).sort()).toEqual(['dragonfly', 'qdrant', 'valkey']);
    expect(RENEWAL_FIELD_MANAGER).not.toBe('stratus');
  });
});

describe('Function: renewalFields', () => {
  it("keeps a Certificate's notBefore and the renewal annotation, nothing else", () => {
    // Act & Assess
    expect(
      renewalFields({
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'stratus-tls', annotations: { 'stratus.dev/operation': 'op-1' } },
        status: { notBefore: ISSUED, notAfter: RENEWED, conditions: [] },
      }),
    ).toEqual({ status: { notBefore: ISSUED } });
    expect(
      renewalFields({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: {
          name: 'valkey',
          annotations: { [TLS_NOT_BEFORE_ANNOTATION]: ISSUED, 'stratus.dev/operation': 'op-1' },
        },
        status: { notBefore: 'not a Certificate' },
      }),
    ).toEqual({ annotations: { [TLS_NOT_BEFORE_ANNOTATION]: ISSUED } });
  });
});
