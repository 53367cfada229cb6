import { describe, expect, it } from 'vitest';
import {
  EndpointRequestSchema,
  endpointSettingsOf,
  MAX_ALLOWED_CIDRS,
  PRIVATE_ENDPOINT,
  sameEndpoint,
} from '../../../functions/shared/domain/endpoint.js';
import { planCreate, planUpdate } from '../../../functions/shared/domain/plan.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { ValidationError } from '../../../functions/shared/errors.js';

const NOW = new Date('2026-12-06T10:00:00.000Z');
const ctx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1', 'us-east-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
  endpointRegions: ['eu-west-1'],
  tlsRegions: ['eu-west-1'],
};
const TCP = { name: 'postgresql', http: false };
const HTTP = { name: 'qdrant', http: true };

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'pg',
  engine: 'postgresql',
  version: '17.5',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 1,
  sizeName: 'small',
  size: SIZES.small,
  settings: { database: 'app', owner: 'app', maxConnections: 100 },
  deletionProtection: false,
  status: 'READY',
  generation: 1,
  observedGeneration: 1,
  statusVersion: 3,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

const issues = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError)
      return (e.extensions.errors as Array<{ path: string }>).map((i) => i.path);
    return [(e as { code?: string }).code];
  }
  return [];
};

describe('Schema: EndpointRequestSchema', () => {
  it.each([
    ['an IPv4 CIDR', { public: true, allowedCidrs: ['203.0.113.0/24'] }],
    ['an IPv6 CIDR', { allowedCidrs: ['2001:db8::/48'] }],
    ['every address, when sent', { public: true, allowedCidrs: ['0.0.0.0/0', '::/0'] }],
    ['the token check alone', { tokenCheck: false }],
  ])('accepts %s', (_what, body) => {
    // Act & Assess
    expect(EndpointRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['an address without a prefix', { allowedCidrs: ['203.0.113.7'] }, 'allowedCidrs.0'],
    ['a prefix out of range', { allowedCidrs: ['10.0.0.0/33'] }, 'allowedCidrs.0'],
    ['a host name', { allowedCidrs: ['office.example.com/32'] }, 'allowedCidrs.0'],
    ['a string for public', { public: 'yes' }, 'public'],
    ['an unknown field', { allowlist: ['10.0.0.0/8'] }, ''],
    [
      `more than ${MAX_ALLOWED_CIDRS} CIDRs`,
      { allowedCidrs: Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`) },
      'allowedCidrs',
    ],
  ])('refuses %s', (_what, body, path) => {
    // Act
    const parsed = EndpointRequestSchema.safeParse(body);

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('Function: endpointSettingsOf', () => {
  it('turns the gateway token check on by default for an HTTP engine, and leaves it out for a TCP one', () => {
    // Act
    const http = endpointSettingsOf(
      { public: true, allowedCidrs: ['203.0.113.0/24'] },
      PRIVATE_ENDPOINT,
      HTTP,
    );
    const tcp = endpointSettingsOf({ public: true, allowedCidrs: ['203.0.113.0/24'] }, PRIVATE_ENDPOINT, TCP);

    // Assess
    expect(http).toEqual({ public: true, allowedCidrs: ['203.0.113.0/24'], tokenCheck: true });
    expect(tcp).toEqual({ public: true, allowedCidrs: ['203.0.113.0/24'] });
  });

  it('merges a change over the current settings (the allowlist kept when only public changes)', () => {
    // Prepare
    const current = { public: true, allowedCidrs: ['203.0.113.0/24'], tokenCheck: false };

    // Act
    const off = endpointSettingsOf({ public: false }, current, HTTP);

    // Assess
    expect(off).toEqual({ public: false, allowedCidrs: ['203.0.113.0/24'], tokenCheck: false });
  });

  it.each([
    ['public without CIDRs', { public: true }, TCP, 'endpoint.allowedCidrs'],
    ['public with an empty list', { public: true, allowedCidrs: [] }, TCP, 'endpoint.allowedCidrs'],
    ['a CIDR listed twice', { allowedCidrs: ['10.0.0.0/8', '10.0.0.0/8'] }, TCP, 'endpoint.allowedCidrs.1'],
    [
      'a token check for an engine that does not speak HTTP',
      { tokenCheck: true },
      TCP,
      'endpoint.tokenCheck',
    ],
  ])('refuses %s, naming the field', (_what, req, engine, path) => {
    // Act & Assess
    expect(issues(() => endpointSettingsOf(req, PRIVATE_ENDPOINT, engine))).toEqual([path]);
  });
});

describe('Function: sameEndpoint', () => {
  it('takes absent settings as not public, and compares the allowlist in order', () => {
    // Act & Assess
    expect(sameEndpoint(undefined, PRIVATE_ENDPOINT)).toBe(true);
    expect(sameEndpoint(undefined, { public: true, allowedCidrs: ['10.0.0.0/8'] })).toBe(false);
    expect(
      sameEndpoint({ public: true, allowedCidrs: ['a', 'b'] }, { public: true, allowedCidrs: ['b', 'a'] }),
    ).toBe(false);
  });
});

describe('Function: planCreate (endpoint)', () => {
  const req = {
    name: 'orders',
    engine: 'postgresql',
    region: 'eu-west-1',
    nodes: 1,
    size: 'small' as const,
    settings: {},
    deletionProtection: false,
  };

  it('stores the checked settings on the cluster', () => {
    // Act
    const { cluster: c } = planCreate(
      { ...req, endpoint: { public: true, allowedCidrs: ['198.51.100.0/24'] } },
      ctx,
    );

    // Assess
    expect(c.endpointSettings).toEqual({ public: true, allowedCidrs: ['198.51.100.0/24'] });
  });

  it('refuses a public endpoint in a region without a gateway (409 ENDPOINTS_NOT_CONFIGURED)', () => {
    // Act & Assess
    expect(
      issues(() =>
        planCreate(
          { ...req, region: 'us-east-1', endpoint: { public: true, allowedCidrs: ['198.51.100.0/24'] } },
          {
            ...ctx,
            apiRegion: 'us-east-1',
          },
        ),
      ),
    ).toEqual(['ENDPOINTS_NOT_CONFIGURED']);
  });
});

describe('Function: planCreate (TLS to the database)', () => {
  const req = {
    name: 'orders',
    region: 'eu-west-1',
    nodes: 1,
    size: 'small' as const,
    settings: {},
    deletionProtection: false,
  };

  it.each([
    ['postgresql', 'eu-west-1', 'eu-west-1', true],
    ['valkey', 'eu-west-1', 'eu-west-1', true],
    ['qdrant', 'eu-west-1', 'eu-west-1', true],
    // No gateway (so no cert-manager issuer) in the region: plain, as before.
    ['postgresql', 'us-east-1', 'us-east-1', false],
    // An engine that cannot serve TLS: never.
    ['yugabytedb', 'eu-west-1', 'eu-west-1', false],
  ])('creates %s in %s with tls=%s, public or not', (engine, region, apiRegion, tls) => {
    // Act
    const { cluster: c } = planCreate(
      { ...req, engine, region, ...(engine === 'yugabytedb' ? { nodes: 3 } : {}) },
      { ...ctx, apiRegion },
    );

    // Assess
    expect(c.tls === true).toBe(tls);
  });

  it("creates no TLS cluster where the gateways have no databaseIssuer (the gateway's issuer may be ACME)", () => {
    // Act
    const { cluster: c } = planCreate({ ...req, engine: 'valkey' }, { ...ctx, tlsRegions: [] });

    // Assess: public endpoints are still accepted there (endpointRegions), without TLS to the database
    expect(c.tls).toBeUndefined();
  });
});

describe('Function: planUpdate (endpoint)', () => {
  const open = { public: true, allowedCidrs: ['203.0.113.0/24'] };

  it('makes an allowlist change an UPDATE operation, remembering the previous settings for a cancel or rollback', () => {
    // Act
    const plan = planUpdate(
      cluster({ endpointSettings: open }),
      { endpoint: { allowedCidrs: ['198.51.100.0/24'] } },
      ctx,
    );

    // Assess
    expect(plan.kind).toBe('operation');
    if (plan.kind !== 'operation') return;
    expect(plan.cluster).toMatchObject({
      status: 'UPDATING',
      generation: 2,
      endpointSettings: { public: true, allowedCidrs: ['198.51.100.0/24'] },
    });
    expect(plan.operation).toMatchObject({ type: 'UPDATE', previous: { endpointSettings: open } });
  });

  it('answers NO_CHANGES for the settings the cluster already has', () => {
    // Act & Assess
    expect(
      issues(() => planUpdate(cluster({ endpointSettings: open }), { endpoint: { public: true } }, ctx)),
    ).toEqual(['NO_CHANGES']);
    expect(issues(() => planUpdate(cluster(), { endpoint: { public: false } }, ctx))).toEqual(['NO_CHANGES']);
  });

  it('refuses a public endpoint for a paused cluster (409 CLUSTER_PAUSED) and in a region without a gateway', () => {
    // Act & Assess
    expect(
      issues(() => planUpdate(cluster({ status: 'PAUSED', paused: true }), { endpoint: open }, ctx)),
    ).toEqual(['CLUSTER_PAUSED']);
    expect(issues(() => planUpdate(cluster(), { endpoint: open }, { ...ctx, endpointRegions: [] }))).toEqual([
      'ENDPOINTS_NOT_CONFIGURED',
    ]);
  });
});
