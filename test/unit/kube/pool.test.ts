import { describe, expect, it } from 'vitest';
import {
  eksClustersManagedBy,
  kubeApiCidrsOf,
  parseEksPool,
  parseTakeoverRoleArns,
} from '../../../functions/shared/kube/pool.js';

const POOL = JSON.stringify([
  { name: 'euw1-a', capacityNodes: 500, region: 'eu-west-1' },
  { name: 'use1-a', capacityNodes: 300, region: 'us-east-1' },
  { name: 'aps1-a', capacityNodes: 100, region: 'ap-south-1' },
]);

describe('Function: parseEksPool', () => {
  it('reads every region’s EKS clusters with their regions', () => {
    expect(parseEksPool(POOL, 'eu-west-1')).toEqual([
      { name: 'euw1-a', capacityNodes: 500, region: 'eu-west-1' },
      { name: 'use1-a', capacityNodes: 300, region: 'us-east-1' },
      { name: 'aps1-a', capacityNodes: 100, region: 'ap-south-1' },
    ]);
  });

  it('puts an entry without a region (the format before issue #9) in the function’s own region', () => {
    expect(parseEksPool('[{"name":"a","capacityNodes":10}]', 'us-east-1')).toEqual([
      { name: 'a', capacityNodes: 10, region: 'us-east-1' },
    ]);
  });

  it('refuses an empty pool, duplicate names and entries without capacity', () => {
    expect(() => parseEksPool('[]', 'eu-west-1')).toThrow(/no EKS cluster/);
    expect(() =>
      parseEksPool(
        JSON.stringify([
          { name: 'a', capacityNodes: 1, region: 'eu-west-1' },
          { name: 'a', capacityNodes: 1, region: 'us-east-1' },
        ]),
        'eu-west-1',
      ),
    ).toThrow(/unique/);
    expect(() => parseEksPool('[{"name":"a"}]', 'eu-west-1')).toThrow();
  });
});

describe('Function: parseTakeoverRoleArns', () => {
  it('reads region -> role ARN and refuses anything that is not a role ARN', () => {
    const arn = 'arn:aws:iam::123456789012:role/stratus-prod-us-east-1-provisioner-takeover';
    expect(parseTakeoverRoleArns(JSON.stringify({ 'us-east-1': arn }))).toEqual({ 'us-east-1': arn });
    expect(parseTakeoverRoleArns('{}')).toEqual({});
    expect(() =>
      parseTakeoverRoleArns('{"us-east-1":"stratus-prod-us-east-1-provisioner-takeover"}'),
    ).toThrow(/IAM role ARN/);
  });
});

describe('Function: eksClustersManagedBy', () => {
  const pool = parseEksPool(POOL, 'eu-west-1');
  const names = (region: string, controllers: Record<string, string>) =>
    eksClustersManagedBy(pool, region, controllers).map((c) => c.name);

  it("is the region's own EKS clusters when no region is taken over", () => {
    expect(names('eu-west-1', {})).toEqual(['euw1-a']);
    expect(names('us-east-1', {})).toEqual(['use1-a']);
  });

  it('adds the EKS clusters of the regions it took over', () => {
    expect(names('eu-west-1', { 'us-east-1': 'eu-west-1', 'ap-south-1': 'eu-west-1' })).toEqual([
      'euw1-a',
      'use1-a',
      'aps1-a',
    ]);
  });

  it('leaves out its own EKS clusters while another region controls it', () => {
    expect(names('us-east-1', { 'us-east-1': 'eu-west-1' })).toEqual([]);
    expect(names('eu-west-1', { 'us-east-1': 'eu-west-1' })).toEqual(['euw1-a', 'use1-a']);
  });
});

describe('Function: kubeApiCidrsOf', () => {
  it('gives the API server CIDRs configured for an EKS cluster, and none for the others', () => {
    // Prepare
    const pool = parseEksPool(
      JSON.stringify([
        { name: 'a', capacityNodes: 1, region: 'eu-west-1', apiServerCidrs: ['10.0.32.0/20'] },
        { name: 'b', capacityNodes: 1, region: 'eu-west-1' },
      ]),
      'eu-west-1',
    );

    // Act & Assess
    expect(kubeApiCidrsOf(pool, 'a')).toEqual(['10.0.32.0/20']);
    expect(kubeApiCidrsOf(pool, 'b')).toBeUndefined();
    expect(kubeApiCidrsOf(pool, 'unknown')).toBeUndefined();
  });

  it('refuses an EKS_CLUSTERS entry whose API server CIDRs are not CIDRs or allow every address', () => {
    for (const apiServerCidrs of [['10.0.0.1'], ['0.0.0.0/0'], []]) {
      expect(() =>
        parseEksPool(JSON.stringify([{ name: 'a', capacityNodes: 1, apiServerCidrs }]), 'eu-west-1'),
      ).toThrow();
    }
  });
});
