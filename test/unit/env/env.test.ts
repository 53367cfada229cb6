import { describe, expect, it } from 'vitest';
import { ApiEnv, HttpEnv } from '../../../functions/api/env.js';
import { DispatcherEnv } from '../../../functions/dispatcher/env.js';
import { ProvisionerEnv } from '../../../functions/provisioner/env.js';
import { ReconcilerEnv } from '../../../functions/reconciler/env.js';
import { RevealEnv } from '../../../functions/reveal/env.js';
import { EnvError, type EnvSchema, readEnv } from '../../../functions/shared/env.js';
import { StatusPublisherEnv } from '../../../functions/status-publisher/env.js';
import { FUNCTIONS, type FunctionId } from '../../../functions/topology.js';

/** Every function's schema: a function added to the topology without one does not compile. */
const SCHEMAS: Record<FunctionId, EnvSchema> = {
  api: ApiEnv,
  reveal: RevealEnv,
  dispatcher: DispatcherEnv,
  provisioner: ProvisionerEnv,
  statusPublisher: StatusPublisherEnv,
  reconciler: ReconcilerEnv,
};

/**
 * What a function reads beyond the topology's environment: set by the local runtime only
 * (local/runtime/control-plane.ts), never in AWS. Nothing Lambda provides (AWS_REGION...) is read.
 */
const LOCAL_ONLY: Record<FunctionId, readonly string[]> = {
  api: ['PAGE_TOKEN_KEY'],
  reveal: ['KUBECONFIG'],
  dispatcher: [],
  provisioner: ['KUBECONFIG', 'POLL_BASE_SECONDS', 'AWS_ENDPOINT_URL_S3'],
  statusPublisher: [],
  reconciler: ['KUBECONFIG', 'AWS_ENDPOINT_URL_S3'],
};

/** Declared in the topology for a library, which reads it itself (Powertools Metrics' namespace). */
const FOR_LIBRARIES = ['POWERTOOLS_METRICS_NAMESPACE'];

const POOL = JSON.stringify([{ name: 'stratus-euw1-a', capacityNodes: 10 }]);

describe('Function: readEnv', () => {
  describe.each(Object.keys(FUNCTIONS) as FunctionId[])('Schema: %s', (fn) => {
    it('reads exactly what the topology declares, plus what only the local runtime sets', () => {
      // Prepare
      const declared = Object.keys(FUNCTIONS[fn].environment).filter((k) => !FOR_LIBRARIES.includes(k));

      // Act
      const read = Object.keys(SCHEMAS[fn].shape);

      // Assess
      expect(read.toSorted()).toEqual([...declared, ...LOCAL_ONLY[fn]].toSorted());
    });
  });

  it('returns typed values, defaults and the structured variables parsed by their own schemas', () => {
    // Prepare
    const env = {
      TABLE_NAME: ' stratus-prod ',
      STRATUS_REGION: 'eu-west-1',
      EVENT_BUS_NAME: 'stratus-prod',
      EKS_CLUSTERS: POOL,
      UNRELATED: 'ignored',
    };

    // Act
    const read = readEnv(ReconcilerEnv, env);

    // Assess
    expect(read).toEqual({
      TABLE_NAME: 'stratus-prod',
      STRATUS_REGION: 'eu-west-1',
      EVENT_BUS_NAME: 'stratus-prod',
      EKS_CLUSTERS: [{ name: 'stratus-euw1-a', capacityNodes: 10 }],
      TAKEOVER_ROLE_ARNS: {},
      KUBE_AUTH: 'eks',
      RECONCILER_DELETE_ORPHANS: false,
    });
  });

  it('splits the region list and trims the API URLs as parseApiUrls does', () => {
    // Prepare
    const env = {
      TABLE_NAME: 't',
      STRATUS_REGION: 'eu-west-1',
      STRATUS_REGIONS: 'eu-west-1, us-east-1,',
      STRATUS_API_URLS: '{"us-east-1":"https://use1.example.com/"}',
    };

    // Act
    const read = readEnv(HttpEnv, env);

    // Assess
    expect(read.STRATUS_REGIONS).toEqual(['eu-west-1', 'us-east-1']);
    expect(read.STRATUS_API_URLS).toEqual({ 'us-east-1': 'https://use1.example.com' });
  });

  it('throws one EnvError that names every missing and invalid variable', () => {
    // Prepare
    const env = {
      STRATUS_REGION: 'eu-west-1',
      PROVISIONING_QUEUE_URL: '   ',
      EKS_CLUSTERS: '[]',
      TAKEOVER_ROLE_ARNS: '{"us-east-1":"not-an-arn"}',
      KUBE_AUTH: 'token',
      POLL_BASE_SECONDS: 'soon',
    };

    // Act
    const error = (() => {
      try {
        readEnv(ProvisionerEnv, env);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(EnvError);
    const envError = error as EnvError;
    expect(envError.name).toBe('EnvError');
    expect(envError.problems.map((p) => [p.variable, p.kind])).toEqual([
      ['TABLE_NAME', 'missing'],
      ['PROVISIONING_QUEUE_URL', 'invalid'],
      ['EKS_CLUSTERS', 'invalid'],
      ['TAKEOVER_ROLE_ARNS', 'invalid'],
      ['KUBE_AUTH', 'invalid'],
      ['POLL_BASE_SECONDS', 'invalid'],
    ]);
    expect(envError.message).toBe(
      [
        "The function's environment has 6 problems:",
        '- TABLE_NAME: missing, expected a string',
        '- PROVISIONING_QUEUE_URL: invalid, expected a non-empty string',
        '- EKS_CLUSTERS: invalid, expected EKS_CLUSTERS lists no EKS cluster',
        '- TAKEOVER_ROLE_ARNS: invalid, expected an IAM role ARN at us-east-1',
        '- KUBE_AUTH: invalid, expected one of "eks", "kubeconfig"',
        '- POLL_BASE_SECONDS: invalid, expected a number of seconds',
      ].join('\n'),
    );
  });

  it('says which JSON variable does not parse, and which entry of a structured one is wrong', () => {
    // Prepare
    const env = {
      TABLE_NAME: 't',
      STRATUS_REGION: 'eu-west-1',
      EVENT_BUS_NAME: 'b',
      EKS_CLUSTERS: '[{"name":"a","capacityNodes":0}]',
      TAKEOVER_ROLE_ARNS: '{',
    };

    // Act
    const act = () => readEnv(ReconcilerEnv, env);

    // Assess
    expect(act).toThrow(
      '- EKS_CLUSTERS: invalid, expected Too small: expected number to be >0 at 0.capacityNodes',
    );
    expect(act).toThrow('- TAKEOVER_ROLE_ARNS: invalid, expected valid JSON');
  });

  it('needs the page-token secret name or, locally, the key itself', () => {
    // Prepare
    const env = { TABLE_NAME: 't', STRATUS_REGION: 'r', STRATUS_REGIONS: 'r', PAGE_TOKEN_SECRET_ID: '' };

    // Act
    const act = () => readEnv(ApiEnv, env);
    const local = readEnv(ApiEnv, { ...env, PAGE_TOKEN_KEY: 'k' });

    // Assess
    expect(act).toThrow(
      '- PAGE_TOKEN_SECRET_ID: invalid, expected the page-token secret name (or PAGE_TOKEN_KEY, the key itself)',
    );
    expect(local.PAGE_TOKEN_KEY).toBe('k');
  });

  it('says what a missing JSON variable should hold', () => {
    // Prepare
    const env = { TABLE_NAME: 't', STRATUS_REGION: 'r', EVENT_BUS_NAME: 'b' };

    // Act
    const act = () => readEnv(ReconcilerEnv, env);

    // Assess
    expect(act).toThrow(
      "The function's environment has 1 problem:\n- EKS_CLUSTERS: missing, expected a JSON string",
    );
  });
});
