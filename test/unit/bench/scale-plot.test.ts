import { describe, expect, it } from 'vitest';
import { latencyBuckets, scalePlotSvg, ticks } from '../../../bench/scale-plot.js';

describe('Function: ticks', () => {
  it('gives round steps from 0 that reach the maximum', () => {
    // Act & Assess
    expect(ticks(97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(ticks(0)).toEqual([0, 1]);
  });
});

describe('Function: latencyBuckets', () => {
  it('puts each accepted create in its 5-second bucket and takes the percentiles of each', () => {
    // Prepare
    const samples: Array<[number, number]> = [
      [0.5, 10],
      [1, 30],
      [4.9, 20],
      [7, 100],
    ];

    // Act
    const b = latencyBuckets(samples);

    // Assess
    expect(b.p50).toEqual([
      [2.5, 20],
      [7.5, 100],
    ]);
    expect(b.p99).toEqual([
      [2.5, 30],
      [7.5, 100],
    ]);
  });
});

describe('Function: scalePlotSvg', () => {
  it('draws a line per region, the total and three percentiles, with a legend for each', () => {
    // Prepare
    const report = {
      params: { clusters: 4, regions: ['eu-west-1', 'us-east-1'], concurrency: 2, readinessDelayMs: 0 },
      readySeries: [
        { t: 2, byRegion: { 'eu-west-1': 1, 'us-east-1': 0 }, total: 1 },
        { t: 4, byRegion: { 'eu-west-1': 2, 'us-east-1': 2 }, total: 4 },
      ],
      acceptSamples: [
        [0.2, 40],
        [0.4, 60],
      ] as Array<[number, number]>,
      allReadyS: 4,
      readyPerSecond: 1,
    };

    // Act
    const svg = scalePlotSvg(report);

    // Assess
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(6);
    for (const label of ['eu-west-1', 'us-east-1', 'total', 'p50', 'p90', 'p99'])
      expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain('all READY in 4.0 s');
  });
});
