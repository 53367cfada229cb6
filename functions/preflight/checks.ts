import {
  type Cluster,
  DescribeClusterCommand,
  type EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';

/**
 * What a region's EKS clusters must be before Stratus's stack maps its roles into them with
 * access entries: existing in the stack's region and account, ACTIVE, and in an authentication
 * mode that has access entries (API or API_AND_CONFIG_MAP). Each problem is one line saying what to
 * do, because the deploy stops on it (docs/deploy.md, "Prerequisites").
 */
export async function clusterProblems(
  eks: EKSClient,
  region: string,
  names: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const name of names) {
    let cluster: Cluster | undefined;
    try {
      cluster = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) {
        problems.push(
          `EKS cluster ${name} does not exist in ${region} (this account): create it first, or fix eksClusters of ${region} in cdk.json`,
        );
        continue;
      }
      throw e;
    }
    const mode = cluster?.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
    if (mode !== 'API' && mode !== 'API_AND_CONFIG_MAP') {
      problems.push(
        `EKS cluster ${name} authenticates with ${mode} only, and Stratus maps its roles with access entries: run \`aws eks update-cluster-config --region ${region} --name ${name} --access-config authenticationMode=API_AND_CONFIG_MAP\`, wait for the update, then deploy again`,
      );
    }
    if (cluster?.status !== undefined && cluster.status !== 'ACTIVE' && cluster.status !== 'UPDATING') {
      problems.push(`EKS cluster ${name} is ${cluster.status}: deploy once it is ACTIVE`);
    }
  }
  return problems;
}
