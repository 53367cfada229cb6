import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  backupSessionPolicy,
  eksPodIdentity,
  PodIdentityError,
  partitionOf,
} from '../../../functions/shared/backup-identity.js';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: string;
  Condition?: { StringLike?: Record<string, string[]>; Null?: Record<string, string> };
};

/** IAM's `*` wildcard (any run of characters, `/` included). */
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

/**
 * Whether the session policy allows a request: enough of IAM's evaluation for the conditions the
 * policy uses (StringLike, Null), so each test states a request, not a statement's shape.
 */
function allows(
  policy: string,
  action: string,
  resource: string,
  context: Record<string, string | undefined> = {},
): boolean {
  const statements = (JSON.parse(policy) as { Statement: Statement[] }).Statement;
  return statements.some((s) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    if (s.Effect !== 'Allow' || !actions.includes(action) || !like(s.Resource, resource)) return false;
    const stringLike = Object.entries(s.Condition?.StringLike ?? {}).every(([key, patterns]) => {
      const value = context[key];
      return value !== undefined && patterns.some((p) => like(p, value));
    });
    const nulls = Object.entries(s.Condition?.Null ?? {}).every(
      ([key, absent]) => (context[key] === undefined) === (absent === 'true'),
    );
    return stringLike && nulls;
  });
}

const OWN = { bucket: 'stratus-prod-backups', prefix: 'tn-1/cl-a/' };
const SOURCE = { bucket: 'stratus-prod-backups', prefix: 'tn-1/cl-src/bk-1/' };
const obj = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

describe('Function: backupSessionPolicy', () => {
  it("lets the cluster's pods write and read its own prefix, and nobody else's", () => {
    // Prepare
    const policy = backupSessionPolicy('aws', { own: OWN });

    // Assess
    expect(allows(policy, 's3:PutObject', obj(OWN.bucket, 'tn-1/cl-a/bk-1/dump.rdb'))).toBe(true);
    expect(allows(policy, 's3:GetObject', obj(OWN.bucket, 'tn-1/cl-a/postgresql/wals/0001'))).toBe(true);
    expect(allows(policy, 's3:PutObject', obj(OWN.bucket, 'tn-1/cl-b/bk-2/dump.rdb'))).toBe(false);
    expect(allows(policy, 's3:GetObject', obj(OWN.bucket, 'tn-2/cl-c/bk-3/dump.rdb'))).toBe(false);
    // A cluster id that starts like this one's is another cluster.
    expect(allows(policy, 's3:GetObject', obj(OWN.bucket, 'tn-1/cl-ab/bk-4/dump.rdb'))).toBe(false);
    expect(allows(policy, 's3:DeleteObject', obj(OWN.bucket, 'tn-1/cl-a/bk-1/dump.rdb'))).toBe(false);
  });

  it('lists its own prefix and answers HeadBucket, but lists no other prefix', () => {
    // Prepare
    const policy = backupSessionPolicy('aws', { own: OWN });
    const list = (ctx: Record<string, string | undefined>) =>
      allows(policy, 's3:ListBucket', bucketArn(OWN.bucket), ctx);

    // Assess
    expect(list({ 's3:prefix': 'tn-1/cl-a/postgresql/wals/' })).toBe(true);
    expect(list({})).toBe(true); // HeadBucket: no prefix, no delimiter (Barman Cloud checks the bucket)
    expect(list({ 's3:prefix': 'tn-1/cl-b/' })).toBe(false);
    expect(list({ 's3:prefix': '' })).toBe(false);
    expect(list({ 's3:delimiter': '/' })).toBe(false);
    expect(allows(policy, 's3:ListBucket', bucketArn('another-bucket'), {})).toBe(false);
  });

  it('lets a restored cluster read the backup it restores, never write there', () => {
    // Prepare
    const copies = { bucket: 'stratus-prod-backup-copies', prefix: 'tn-1/cl-src/bk-1/' };
    const policy = backupSessionPolicy('aws-cn', { own: OWN, restoreFrom: copies });
    const copy = (key: string) => `arn:aws-cn:s3:::${copies.bucket}/${key}`;

    // Assess
    expect(allows(policy, 's3:GetObject', copy('tn-1/cl-src/bk-1/dump.rdb'))).toBe(true);
    expect(allows(policy, 's3:PutObject', copy('tn-1/cl-src/bk-1/dump.rdb'))).toBe(false);
    expect(allows(policy, 's3:GetObject', copy('tn-1/cl-src/bk-2/dump.rdb'))).toBe(false);
    expect(
      allows(policy, 's3:ListBucket', `arn:aws-cn:s3:::${copies.bucket}`, {
        's3:prefix': 'tn-1/cl-src/bk-1/',
      }),
    ).toBe(true);
    expect(allows(policy, 's3:PutObject', `arn:aws-cn:s3:::${OWN.bucket}/tn-1/cl-a/x`)).toBe(true);
  });

  it('lists both prefixes of one bucket when the restored backup is there too', () => {
    // Prepare
    const policy = backupSessionPolicy('aws', { own: OWN, restoreFrom: SOURCE });
    const list = (prefix: string) =>
      allows(policy, 's3:ListBucket', bucketArn(OWN.bucket), { 's3:prefix': prefix });

    // Assess
    expect(list('tn-1/cl-a/')).toBe(true);
    expect(list('tn-1/cl-src/bk-1/')).toBe(true);
    expect(list('tn-1/cl-src/bk-2/')).toBe(false);
  });

  it('fits the 2,048 characters of a session policy with the longest ids', () => {
    // Prepare
    const long = {
      bucket: `stratus-${'s'.repeat(20)}-backup-copies-123456789012-ap-southeast-1`,
      prefix: `tn-${'0'.repeat(26)}/cl-${'0'.repeat(26)}/bk-${'0'.repeat(26)}/`,
    };

    // Act
    const policy = backupSessionPolicy('aws-us-gov', {
      own: long,
      restoreFrom: { ...long, bucket: `${long.bucket}x` },
    });

    // Assess
    expect(policy.length).toBeLessThanOrEqual(2048);
  });
});

describe('Function: partitionOf', () => {
  it('reads the partition of an ARN', () => {
    // Assess
    expect(partitionOf('arn:aws-cn:iam::123456789012:role/x')).toBe('aws-cn');
    expect(partitionOf('arn:aws:iam::123456789012:role/x')).toBe('aws');
  });
});

describe('Function: eksPodIdentity', () => {
  const eks = mockClient(EKSClient);
  const ROLE = 'arn:aws:iam::123456789012:role/stratus-prod-eu-west-1-backup-pods';
  const req = {
    eksCluster: 'eks-a',
    namespace: 'stratus-cl-a',
    serviceAccount: 'stratus-backup',
    policy: '{"a":1}',
  };
  beforeEach(() => eks.reset());

  it('creates the association with the role and the session policy, session tags off', async () => {
    // Prepare
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    eks.on(CreatePodIdentityAssociationCommand).resolves({});
    const port = eksPodIdentity({ eks: new EKSClient({ region: 'eu-west-1' }), roleArn: ROLE });

    // Act
    const result = await port.ensure(req);

    // Assess
    expect(result).toBe('created');
    expect(eks.commandCalls(ListPodIdentityAssociationsCommand)[0]?.args[0].input).toMatchObject({
      clusterName: 'eks-a',
      namespace: 'stratus-cl-a',
      serviceAccount: 'stratus-backup',
    });
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)[0]?.args[0].input).toEqual({
      clusterName: 'eks-a',
      namespace: 'stratus-cl-a',
      serviceAccount: 'stratus-backup',
      roleArn: ROLE,
      policy: '{"a":1}',
      disableSessionTags: true,
    });
  });

  it('leaves an association with the same role and policy alone, and updates one that differs', async () => {
    // Prepare
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [{ associationId: 'a-1' }] });
    eks
      .on(DescribePodIdentityAssociationCommand)
      .resolvesOnce({ association: { roleArn: ROLE, policy: '{ "a": 1 }' } })
      .resolvesOnce({ association: { roleArn: ROLE, policy: '{"a":2}' } });
    eks.on(UpdatePodIdentityAssociationCommand).resolves({});
    const port = eksPodIdentity({ eks: new EKSClient({ region: 'eu-west-1' }), roleArn: ROLE });

    // Act
    const first = await port.ensure(req);
    const second = await port.ensure(req);

    // Assess
    expect([first, second]).toEqual(['unchanged', 'updated']);
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)).toHaveLength(0);
    expect(eks.commandCalls(UpdatePodIdentityAssociationCommand)[0]?.args[0].input).toMatchObject({
      associationId: 'a-1',
      policy: '{"a":1}',
      disableSessionTags: true,
    });
  });

  it('removes every association of the namespace, one already gone included', async () => {
    // Prepare
    eks
      .on(ListPodIdentityAssociationsCommand)
      .resolvesOnce({ associations: [{ associationId: 'a-1' }], nextToken: 't' })
      .resolvesOnce({ associations: [{ associationId: 'a-2' }] });
    eks
      .on(DeletePodIdentityAssociationCommand, { associationId: 'a-2' })
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    eks.on(DeletePodIdentityAssociationCommand, { associationId: 'a-1' }).resolves({});
    const port = eksPodIdentity({ eks: new EKSClient({ region: 'eu-west-1' }), roleArn: ROLE });

    // Act
    const removed = await port.remove({ eksCluster: 'eks-a', namespace: 'stratus-cl-a' });

    // Assess
    expect(removed).toBe(2);
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)).toHaveLength(2);
  });

  it('classifies throttling as retryable and a refusal as not', async () => {
    // Prepare
    eks
      .on(ListPodIdentityAssociationsCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform iam:PassRole'), { name: 'AccessDeniedException' }),
      );
    const port = eksPodIdentity({ eks: new EKSClient({ region: 'eu-west-1' }), roleArn: ROLE });

    // Act
    const throttled = await port.ensure(req).catch((e: unknown) => e);
    const denied = await port.ensure(req).catch((e: unknown) => e);

    // Assess
    expect(throttled).toBeInstanceOf(PodIdentityError);
    expect((throttled as PodIdentityError).retryable).toBe(true);
    expect((denied as PodIdentityError).retryable).toBe(false);
  });
});
