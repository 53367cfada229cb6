import { Duration, Stack } from 'aws-cdk-lib';
import {
  type IGrantable,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag.js';

/** The service EKS Pod Identity's agent assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

export interface StratusBackupIdentityProps {
  /** `stratus-<stage>-<region>-backup-pods` (lib/names.ts). */
  readonly roleName: string;
  /** The region's backup bucket: the pods write and read their cluster's prefix there. */
  readonly bucket: IBucket;
  /** The copies of other regions' backups held here (`backupCopyTo`): a restore here reads them. */
  readonly copies?: IBucket;
  /** The region's EKS clusters, by name: where the provisioner may make associations. */
  readonly eksClusters: readonly string[];
}

/**
 * The identity of the pods that write and read backups (issue #14; docs/security.md): one role per
 * region, assumed through EKS Pod Identity only. Its own policy allows the object actions on the
 * whole bucket; each cluster's Pod Identity association, made by the provisioner, carries a session
 * policy that narrows it to that cluster's prefix (and a restore's source), so a pod gets the
 * intersection: its own cluster's objects, nothing else (functions/shared/backup-identity.ts).
 */
export class StratusBackupIdentity extends Construct {
  readonly role: IRole;
  private readonly eksClusterArns: string[];
  private readonly associationArns: string[];

  constructor(scope: Construct, id: string, props: StratusBackupIdentityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const objects = [props.bucket, ...(props.copies ? [props.copies] : [])];
    const statements = [
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects('*')],
      }),
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: objects.map((b) => b.bucketArn),
      }),
      ...(props.copies
        ? [new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.copies.arnForObjects('*')] })]
        : []),
    ];
    const role = new Role(this, 'Role', {
      roleName: props.roleName,
      description:
        'Stratus backup pods (EKS Pod Identity): each association narrows it to its cluster prefix with a session policy',
      // AssumeRole, and TagSession, which EKS Pod Identity calls (with its tags disabled: the
      // associations carry a session policy instead).
      assumedBy: new ServicePrincipal(POD_IDENTITY_PRINCIPAL).withSessionTags(),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { Backups: new PolicyDocument({ statements }) },
    });
    for (const bucket of objects) {
      acknowledgeWildcardResource(
        role,
        bucket.arnForObjects('*'),
        "The role's policy covers every cluster's prefix; each cluster's Pod Identity association narrows it to that cluster's prefix with a session policy (functions/shared/backup-identity.ts).",
      );
    }
    this.role = role;
    this.eksClusterArns = props.eksClusters.map((name) =>
      stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }),
    );
    this.associationArns = props.eksClusters.map((name) =>
      stack.formatArn({ service: 'eks', resource: 'podidentityassociation', resourceName: `${name}/*` }),
    );
  }

  /**
   * Make, update and remove Pod Identity associations on the region's EKS clusters, with this
   * role only: `iam:PassRole` of it, to EKS Pod Identity only (the provisioner).
   */
  grantAssociate(grantee: IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['eks:CreatePodIdentityAssociation', 'eks:ListPodIdentityAssociations'],
        resources: this.eksClusterArns,
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'eks:DescribePodIdentityAssociation',
          'eks:UpdatePodIdentityAssociation',
          'eks:DeletePodIdentityAssociation',
        ],
        resources: this.associationArns,
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': POD_IDENTITY_PRINCIPAL } },
      }),
    );
  }

  /** The association ARNs (`podidentityassociation/<cluster>/*`): for the cdk-nag acknowledgement of the grantee. */
  get associationResources(): readonly string[] {
    return this.associationArns;
  }
}
