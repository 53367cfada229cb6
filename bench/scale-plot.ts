/**
 * The plot of a scale run (issue #12, "How to show it"): READY clusters over time, one line per
 * region and their total, above the POST /v1/clusters latency percentiles (p50, p90, p99) of the
 * creates accepted in each 5-second bucket, on the same time axis. Plain SVG, no dependency.
 * bench/scale.ts writes it as `<out>/scale.svg` after every run; for an earlier run's results:
 *
 *   node --import tsx bench/scale-plot.ts .bench/scale-<run>.json [.bench/scale.svg]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { percentile } from './stats.js';

/** What the plot reads of bench/scale.ts's results. */
export interface ScaleReport {
  readonly run?: string;
  readonly params?: {
    readonly clusters?: number;
    readonly regions?: readonly string[];
    readonly concurrency?: number;
    readonly readinessDelayMs?: number;
    readonly dataDir?: string;
  };
  /** READY per region at each poll: seconds since the first create was sent. */
  readonly readySeries?: ReadonlyArray<{
    readonly t: number;
    readonly byRegion: Readonly<Record<string, number>>;
    readonly total: number;
  }>;
  /** [seconds since the first create was sent, POST latency in ms] per accepted create. */
  readonly acceptSamples?: ReadonlyArray<readonly [number, number]>;
  readonly allReadyS?: number | null;
  readonly readyPerSecond?: number | null;
}

const W = 960;
const PANEL_H = 260;
const M = { left: 70, right: 170, top: 40, gap: 70, bottom: 45 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const BUCKET_S = 5;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** About five round tick values from 0 to at least `max`. */
export function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dash?: string;
}

/** One panel: axes, grid, the series as polylines, a legend on the right. */
function panel(o: {
  readonly top: number;
  readonly title: string;
  readonly yLabel: string;
  readonly xMax: number;
  readonly series: readonly Series[];
}): string {
  const plotW = W - M.left - M.right;
  const yMax = Math.max(1, ...o.series.flatMap((s) => s.points.map((p) => p[1])));
  const xt = ticks(o.xMax);
  const yt = ticks(yMax);
  const xTop = xt.at(-1) ?? 1;
  const yTop = yt.at(-1) ?? 1;
  const x = (v: number) => M.left + (v / xTop) * plotW;
  const y = (v: number) => o.top + PANEL_H - (v / yTop) * PANEL_H;
  const parts: string[] = [
    `<text x="${M.left}" y="${o.top - 12}" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const v of yt)
    parts.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text>`,
    );
  for (const v of xt)
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${o.top + PANEL_H}" y2="${o.top + PANEL_H + 5}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${o.top + PANEL_H + 18}" font-size="11" text-anchor="middle">${v}</text>`,
    );
  parts.push(
    `<rect x="${M.left}" y="${o.top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + plotW / 2}" y="${o.top + PANEL_H + 36}" font-size="12" text-anchor="middle">seconds since the first create was sent</text>`,
    `<text transform="translate(${M.left - 50} ${o.top + PANEL_H / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const pts = s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`,
      );
    }
    const ly = o.top + 14 + i * 20;
    parts.push(
      `<line x1="${W - M.right + 15}" x2="${W - M.right + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<text x="${W - M.right + 46}" y="${ly}" font-size="12">${esc(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

/** POST latency percentiles per `BUCKET_S` seconds of accept time: [bucket middle, ms] per percentile. */
export function latencyBuckets(
  samples: ReadonlyArray<readonly [number, number]>,
): Record<'p50' | 'p90' | 'p99', Array<[number, number]>> {
  const buckets = new Map<number, number[]>();
  for (const [t, ms] of samples) {
    const b = Math.floor(t / BUCKET_S);
    const list = buckets.get(b) ?? [];
    list.push(ms);
    buckets.set(b, list);
  }
  const out = {
    p50: [] as Array<[number, number]>,
    p90: [] as Array<[number, number]>,
    p99: [] as Array<[number, number]>,
  };
  for (const [b, list] of [...buckets].sort((a, c) => a[0] - c[0])) {
    const sorted = list.sort((a, c) => a - c);
    const mid = b * BUCKET_S + BUCKET_S / 2;
    out.p50.push([mid, percentile(sorted, 50)]);
    out.p90.push([mid, percentile(sorted, 90)]);
    out.p99.push([mid, percentile(sorted, 99)]);
  }
  return out;
}

export function scalePlotSvg(r: ScaleReport): string {
  const ready = r.readySeries ?? [];
  const accepted = r.acceptSamples ?? [];
  const regions = r.params?.regions ?? Object.keys(ready[0]?.byRegion ?? {});
  const xMax = Math.max(1, ready.at(-1)?.t ?? 0, accepted.at(-1)?.[0] ?? 0);
  const readySeries: Series[] = [
    ...regions.map((region, i) => ({
      label: region,
      color: COLORS[i % COLORS.length] as string,
      points: ready.map((p) => [p.t, p.byRegion[region] ?? 0] as const),
    })),
    { label: 'total', color: '#222', points: ready.map((p) => [p.t, p.total] as const), dash: '6 3' },
  ];
  const lat = latencyBuckets(accepted);
  const latencySeries: Series[] = [
    { label: 'p50', color: '#2ca02c', points: lat.p50 },
    { label: 'p90', color: '#ff7f0e', points: lat.p90 },
    { label: 'p99', color: '#d62728', points: lat.p99 },
  ];
  const p = r.params ?? {};
  const subtitle = `${p.clusters ?? '?'} creates over ${regions.join(', ')}, ${p.concurrency ?? '?'} in flight, readiness ${p.readinessDelayMs ?? '?'} ms${
    r.allReadyS
      ? `; all READY in ${r.allReadyS.toFixed(1)} s (${(r.readyPerSecond ?? 0).toFixed(2)} clusters/s)`
      : ''
  }${r.run ? `; run ${r.run}` : ''}`;
  const top2 = M.top + PANEL_H + M.gap;
  const h = top2 + PANEL_H + M.bottom;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h + 20}" viewBox="0 0 ${W} ${h + 20}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${M.left}" y="16" font-size="12" fill="#555">${esc(subtitle)}</text>
${panel({ top: M.top + 10, title: 'READY clusters', yLabel: 'clusters READY', xMax, series: readySeries })}
${panel({ top: top2 + 10, title: `POST /v1/clusters latency (creates accepted per ${BUCKET_S} s)`, yLabel: 'ms', xMax, series: latencySeries })}
</svg>
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, out = '.bench/scale.svg'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/scale-plot.ts <scale-<run>.json> [out.svg]');
    process.exit(2);
  }
  writeFileSync(out, scalePlotSvg(JSON.parse(readFileSync(file, 'utf8')) as ScaleReport));
  console.log(`written: ${out}`);
}
