import * as z from 'zod';

/**
 * Deployment configuration: the regions Stratus runs in and the EKS clusters each may place
 * databases on. Read from the `stratus` key of cdk.json's context by the CDK app and by the
 * local runtime, so both run the same topology. Pure zod: no CDK imports.
 */
export const EksClusterRefSchema = z.strictObject({
  /** EKS cluster name, as `DescribeCluster` knows it. */
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'an EKS cluster name'),
  /** Maximum number of database nodes Stratus places on it. */
  capacityNodes: z.number().int().positive().default(500),
});

export const RegionConfigSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'),
  eksClusters: z.array(EksClusterRefSchema).min(1, 'each region needs at least one EKS cluster'),
  /**
   * The region's public API base URL (its custom domain, or the stage URL once deployed), without
   * `/v1`. Other regions' 421 answers name it (`apiUrl`, `Location`); without it they name only the region.
   */
  apiUrl: z
    .url({
      protocol: /^https$/,
      error: 'apiUrl must be an https URL such as https://api.eu-west-1.example.com',
    })
    .refine((u) => !/\/v1\/?$/.test(u), 'apiUrl is the base URL, without /v1')
    .optional(),
});

export const StratusConfigSchema = z.strictObject({
  /** Prefix of every resource name, so two installations can share an account. */
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,20}$/)
    .default('prod'),
  regions: z
    .array(RegionConfigSchema)
    .min(1)
    .refine((rs) => new Set(rs.map((r) => r.region)).size === rs.length, 'regions must be unique'),
});
export type StratusConfig = z.infer<typeof StratusConfigSchema>;
export type RegionConfig = z.infer<typeof RegionConfigSchema>;

/** Parses the config, with an error that says which field to fix. */
export function parseConfig(raw: unknown): StratusConfig {
  const parsed = StratusConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Invalid Stratus configuration (cdk.json context "stratus"): ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
