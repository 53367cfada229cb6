import { EKSClient } from '@aws-sdk/client-eks';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { clusterProblems } from './checks.js';

/**
 * CloudFormation custom resource `Preflight` (lib/preflight.ts): checks the region's EKS clusters
 * before the access entries are created, so that a deploy against a cluster without access entries
 * stops at once with what to do, instead of failing on the first AccessEntry with EKS's own error.
 * Answers CloudFormation on every path (a custom resource that never answers hangs the stack for
 * an hour). Deletes always succeed.
 */
const eks = new EKSClient({});

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = 'EKS clusters ready for access entries';
  try {
    if (event.RequestType !== 'Delete') {
      const names = (event.ResourceProperties.Clusters ?? []) as string[];
      const region = String(event.ResourceProperties.Region ?? process.env.AWS_REGION ?? '');
      const problems = await clusterProblems(eks, region, names);
      if (problems.length > 0) {
        status = 'FAILED';
        reason = `Stratus prerequisites: ${problems.join('; ')}`;
      }
    }
  } catch (e) {
    status = 'FAILED';
    reason = `Stratus prerequisites could not be checked: ${(e as Error).name}: ${(e as Error).message}`;
  }
  await respond(event, status, reason);
}

/** The answer CloudFormation waits for, PUT to the presigned URL of the event. */
export async function respond(
  event: CloudFormationCustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  reason: string,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    // CloudFormation keeps 4 KB of the reason.
    Reason: reason.slice(0, 3500),
    PhysicalResourceId:
      'PhysicalResourceId' in event && event.PhysicalResourceId
        ? event.PhysicalResourceId
        : `stratus-preflight-${event.LogicalResourceId}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: {},
  });
  const res = await fetch(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`CloudFormation's response URL answered ${res.status}`);
}
