import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/tenants.js';
import { hashApiKey } from '../../../functions/shared/domain/apikeys.js';

/** `npm run admin -- tenants ...` against a mocked DynamoDB (the AWS path: the table of cdk.json's stage). */
const ddb = mockClient(DynamoDBDocumentClient);

async function admin(...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  await run(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { out, err };
}

const WHOLE = '--max-clusters must be a whole number, 0 or more';

describe('CLI: tenants', () => {
  afterEach(() => {
    ddb.reset();
  });

  describe('Command: create', () => {
    it('writes the tenant with the default quotas and its admin key in one transaction, and prints the key once', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const { out, err } = await admin('create', '--name', 'acme');

      // Assess: the printed tenant and key.
      const printed = JSON.parse(out.join('\n'));
      expect(printed).toEqual({
        tenantId: expect.stringMatching(/^tn-/),
        homeRegion: 'eu-west-1',
        keyId: expect.stringMatching(/^key-/),
        role: 'admin',
        apiKey: expect.stringMatching(/^stratus_/),
        expiresAt: expect.any(String),
        maxClusters: 10,
        maxNodes: 30,
      });
      expect(err).toEqual([
        expect.stringMatching(/^The API key is shown once: store it now\. It is a bootstrap key/),
      ]);
      // Assess: the bootstrap key lives 24 hours.
      const lifetime = Date.parse(printed.expiresAt) - Date.now();
      expect(lifetime).toBeGreaterThan(23.9 * 3600 * 1000);
      expect(lifetime).toBeLessThanOrEqual(24 * 3600 * 1000);
      // Assess: tenant, key and the key's audit record in one transaction, each only if new; the
      // key stored by its hash only.
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items.map((i) => i.Put?.TableName)).toEqual(['stratus-prod', 'stratus-prod', 'stratus-prod']);
      expect(items.map((i) => i.Put?.ConditionExpression)).toEqual([
        'attribute_not_exists(pk)',
        'attribute_not_exists(pk)',
        'attribute_not_exists(pk)',
      ]);
      expect(items[2]?.Put?.Item).toMatchObject({
        pk: `TENANT#${printed.tenantId}`,
        sk: expect.stringMatching(/^AUDIT#/),
        entity: 'Audit',
        action: 'apiKey.create',
        actor: 'operator',
        target: printed.keyId,
      });
      expect(items[0]?.Put?.Item).toMatchObject({
        pk: `TENANT#${printed.tenantId}`,
        entity: 'Tenant',
        name: 'acme',
        homeRegion: 'eu-west-1',
        gsi1pk: 'HOME#eu-west-1',
        maxClusters: 10,
        maxNodes: 30,
      });
      expect(items[1]?.Put?.Item).toMatchObject({
        pk: `APIKEY#${hashApiKey(printed.apiKey)}`,
        entity: 'ApiKey',
        tenantId: printed.tenantId,
        keyId: printed.keyId,
        role: 'admin',
        expiresAt: printed.expiresAt,
      });
      expect(JSON.stringify(items)).not.toContain(printed.apiKey);
    });

    it('gives the bootstrap key the lifetime asked for with --key-hours', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const { out } = await admin('create', '--name', 'acme', '--key-hours', '2');

      // Assess
      const printed = JSON.parse(out.join('\n'));
      const lifetime = Date.parse(printed.expiresAt) - Date.now();
      expect(lifetime).toBeGreaterThan(1.9 * 3600 * 1000);
      expect(lifetime).toBeLessThanOrEqual(2 * 3600 * 1000);
    });

    it('gives the tenant the quotas asked for, and the home region asked for', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const { out } = await admin(
        'create',
        '--name',
        ' acme ',
        '--max-clusters',
        '2',
        '--max-nodes',
        '0',
        '--home-region',
        'us-east-1',
      );

      // Assess
      expect(JSON.parse(out.join('\n'))).toMatchObject({
        maxClusters: 2,
        maxNodes: 0,
        homeRegion: 'us-east-1',
      });
      const tenant = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
      expect(tenant).toMatchObject({ name: 'acme', maxClusters: 2, maxNodes: 0, homeRegion: 'us-east-1' });
    });

    it('refuses a tenant id that exists already (the transaction is cancelled), writing nothing else', async () => {
      // Prepare
      const cancelled = Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
      });
      ddb.on(TransactWriteCommand).rejects(cancelled);

      // Act & Assess
      await expect(admin('create', '--name', 'acme')).rejects.toThrow(/Transaction cancelled/);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    });
  });

  describe('Command: issue-key', () => {
    it("writes a new 24-hour admin key and its audit record in the tenant's home region, fenced by it", async () => {
      // Prepare: a tenant homed in us-east-1.
      ddb.on(GetCommand).resolves({
        Item: { pk: 'TENANT#tn-1', sk: '#TENANT', tenantId: 'tn-1', name: 'acme', homeRegion: 'us-east-1' },
      });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const { out, err } = await admin('issue-key', '--tenant', 'tn-1');

      // Assess
      const printed = JSON.parse(out.join('\n'));
      expect(printed).toEqual({
        tenantId: 'tn-1',
        homeRegion: 'us-east-1',
        keyId: expect.stringMatching(/^key-/),
        role: 'admin',
        apiKey: expect.stringMatching(/^stratus_/),
        expiresAt: expect.any(String),
      });
      expect(err[0]).toContain('shown once');
      const tx = ddb.commandCalls(TransactWriteCommand)[0];
      expect(await tx?.thisValue.config.region()).toBe('us-east-1');
      const items = tx?.args[0].input.TransactItems ?? [];
      expect(items[0]?.ConditionCheck).toMatchObject({
        Key: { pk: 'TENANT#tn-1', sk: '#TENANT' },
        ConditionExpression: 'homeRegion = :me',
        ExpressionAttributeValues: { ':me': 'us-east-1' },
      });
      expect(items[1]?.Put?.Item).toMatchObject({
        pk: `APIKEY#${hashApiKey(printed.apiKey)}`,
        keyId: printed.keyId,
        tenantId: 'tn-1',
        role: 'admin',
        expiresAt: printed.expiresAt,
      });
      expect(items[2]?.Put?.Item).toMatchObject({
        action: 'apiKey.create',
        actor: 'operator',
        target: printed.keyId,
      });
    });

    it('refuses a tenant that does not exist, writing nothing', async () => {
      ddb.on(GetCommand).resolves({});
      await expect(admin('issue-key', '--tenant', 'tn-nope')).rejects.toThrow(
        'tenant tn-nope does not exist',
      );
      expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    });
  });

  describe('Command: rate-limit', () => {
    it("sets the tenant's API rate limit in its home region, only if it is still homed there", async () => {
      // Prepare
      ddb.on(GetCommand).resolves({
        Item: { pk: 'TENANT#tn-1', sk: '#TENANT', tenantId: 'tn-1', name: 'acme', homeRegion: 'us-east-1' },
      });
      ddb.on(UpdateCommand).resolves({});

      // Act
      const { out } = await admin('rate-limit', '--tenant', 'tn-1', '--rate', '5', '--burst', '50');

      // Assess
      expect(out).toEqual(['rate limit of tn-1 updated in us-east-1: 50 requests per 10 s (5/s) per region']);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: 'stratus-prod',
        Key: { pk: 'TENANT#tn-1', sk: '#TENANT' },
        UpdateExpression: 'SET apiRate = :r, apiBurst = :b',
        ConditionExpression: 'attribute_exists(pk) AND homeRegion = :me',
        ExpressionAttributeValues: { ':r': 5, ':b': 50, ':me': 'us-east-1' },
      });
      expect(await ddb.commandCalls(UpdateCommand)[0]?.thisValue.config.region()).toBe('us-east-1');
    });

    it('refuses a tenant that does not exist, writing nothing', async () => {
      ddb.on(GetCommand).resolves({});
      await expect(admin('rate-limit', '--tenant', 'tn-x', '--rate', '1', '--burst', '1')).rejects.toThrow(
        'tenant tn-x does not exist',
      );
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    });
  });

  describe('Command: quotas', () => {
    it("sets the per-region quotas in the tenant's home region, only if it is still homed there", async () => {
      // Prepare: a tenant homed in us-east-1 (usage lives in per-region items, untouched here).
      ddb.on(GetCommand).resolves({
        Item: {
          pk: 'TENANT#tn-1',
          sk: '#TENANT',
          tenantId: 'tn-1',
          name: 'acme',
          homeRegion: 'us-east-1',
          createdAt: '2026-01-01T00:00:00.000Z',
          maxClusters: 10,
          maxNodes: 30,
        },
      });
      ddb.on(UpdateCommand).resolves({});

      // Act
      const { out } = await admin('quotas', '--tenant', 'tn-1', '--max-clusters', '20', '--max-nodes', '25');

      // Assess
      expect(out).toEqual(['quotas of tn-1 updated in us-east-1: 20 clusters, 25 nodes per region']);
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: 'stratus-prod',
        Key: { pk: 'TENANT#tn-1', sk: '#TENANT' },
        ConsistentRead: true,
      });
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: 'stratus-prod',
        Key: { pk: 'TENANT#tn-1', sk: '#TENANT' },
        UpdateExpression: 'SET maxClusters = :mc, maxNodes = :mn',
        ConditionExpression: 'attribute_exists(pk) AND homeRegion = :me',
        ExpressionAttributeValues: { ':mc': 20, ':mn': 25, ':me': 'us-east-1' },
      });
      // The write went through a client of the home region.
      expect(await ddb.commandCalls(UpdateCommand)[0]?.thisValue.config.region()).toBe('us-east-1');
    });

    it('refuses a tenant that does not exist, writing nothing', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({});

      // Act & Assess
      await expect(
        admin('quotas', '--tenant', 'tn-nope', '--max-clusters', '1', '--max-nodes', '1'),
      ).rejects.toThrow('tenant tn-nope does not exist');
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    });
  });

  describe('Bad input', () => {
    it.each([
      { what: 'no command', args: [], error: 'unknown command ""' },
      { what: 'an unknown command', args: ['delete', '--tenant', 'tn-1'], error: 'unknown command "delete"' },
      {
        what: 'create without --name',
        args: ['create'],
        error: '--name is required (at most 100 characters)',
      },
      { what: 'a blank --name', args: ['create', '--name', '   '], error: '--name is required' },
      {
        what: 'a --name of 101 characters',
        args: ['create', '--name', 'x'.repeat(101)],
        error: 'at most 100',
      },
      { what: 'an empty quota (not 0)', args: ['create', '--name', 'a', '--max-clusters='], error: WHOLE },
      { what: 'a negative quota', args: ['create', '--name', 'a', '--max-clusters=-1'], error: WHOLE },
      { what: 'a fractional quota', args: ['create', '--name', 'a', '--max-clusters', '1.5'], error: WHOLE },
      {
        what: 'a hexadecimal quota (not 16)',
        args: ['create', '--name', 'a', '--max-clusters', '0x10'],
        error: WHOLE,
      },
      {
        what: 'an exponent quota (not 1000)',
        args: ['create', '--name', 'a', '--max-clusters', '1e3'],
        error: WHOLE,
      },
      { what: 'a quota with a space', args: ['create', '--name', 'a', '--max-clusters', ' 5'], error: WHOLE },
      {
        what: 'a quota in words',
        args: ['create', '--name', 'a', '--max-nodes', 'ten'],
        error: '--max-nodes must be',
      },
      {
        what: 'an unknown option',
        args: ['create', '--name', 'a', '--color', 'red'],
        error: "Unknown option '--color'",
      },
      {
        what: 'a region not in cdk.json',
        args: ['create', '--name', 'a', '--home-region', 'ap-south-1'],
        error: '--home-region must be one of: eu-west-1, us-east-1',
      },
      {
        what: '--data without --local',
        args: ['create', '--name', 'a', '--data', '/tmp'],
        error: '--data goes with --local',
      },
      {
        what: '--local with no npm start running',
        args: ['create', '--name', 'a', '--local', '--data', '/nonexistent-stratus'],
        error: '/nonexistent-stratus/local.json does not exist: is `npm start` running?',
      },
      {
        what: 'a --key-hours of 0',
        args: ['create', '--name', 'a', '--key-hours', '0'],
        error: '--key-hours must be a whole number of hours, 1 to 8784',
      },
      {
        what: 'a --key-hours over a year',
        args: ['create', '--name', 'a', '--key-hours', '8785'],
        error: '--key-hours must be a whole number of hours, 1 to 8784',
      },
      {
        what: 'a fractional --key-hours',
        args: ['issue-key', '--tenant', 'tn-1', '--key-hours', '1.5'],
        error: '--key-hours must be a whole number',
      },
      { what: 'issue-key without --tenant', args: ['issue-key'], error: '--tenant is required' },
      {
        what: 'rate-limit without --burst',
        args: ['rate-limit', '--tenant', 'tn-1', '--rate', '5'],
        error: '--burst is required',
      },
      {
        what: 'a rate of 0',
        args: ['rate-limit', '--tenant', 'tn-1', '--rate', '0', '--burst', '5'],
        error: '--rate must be a whole number, 1 to 10000',
      },
      {
        what: 'a burst below the rate',
        args: ['rate-limit', '--tenant', 'tn-1', '--rate', '10', '--burst', '5'],
        error: '--burst must be a whole number, at least the rate',
      },
      {
        what: 'a window over a minute',
        args: ['rate-limit', '--tenant', 'tn-1', '--rate', '1', '--burst', '61'],
        error: '--burst must be at most 60 times the rate',
      },
      {
        what: 'a fractional rate',
        args: ['rate-limit', '--tenant', 'tn-1', '--rate', '2.5', '--burst', '5'],
        error: '--rate must be a whole number',
      },
      {
        what: 'a rate limit on create',
        args: ['create', '--name', 'a', '--rate', '5'],
        error: '--rate and --burst go with rate-limit',
      },
      {
        what: 'issue-key with a quota',
        args: ['issue-key', '--tenant', 'tn-1', '--max-nodes', '3'],
        error: '--max-nodes does not go with issue-key',
      },
      {
        what: 'quotas without --tenant',
        args: ['quotas', '--max-clusters', '1', '--max-nodes', '1'],
        error: '--tenant is required',
      },
      {
        what: 'quotas without --max-nodes',
        args: ['quotas', '--tenant', 'tn-1', '--max-clusters', '1'],
        error: '--max-nodes is required',
      },
      {
        what: 'quotas without --max-clusters',
        args: ['quotas', '--tenant', 'tn-1', '--max-nodes', '1'],
        error: '--max-clusters is required',
      },
    ])('refuses $what, before reading or writing anything', async ({ args, error }) => {
      // Act & Assess
      await expect(admin(...args)).rejects.toThrow(error);
      expect(ddb.calls()).toHaveLength(0);
    });
  });
});
