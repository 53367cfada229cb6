import type { NodeSize } from './cluster.js';

/** Size plans offered by the API: per-node compute, memory and storage. */
export const SIZES = {
  small: { cpu: '500m', memory: '1Gi', storageGiB: 10 },
  medium: { cpu: '1', memory: '4Gi', storageGiB: 50 },
  large: { cpu: '2', memory: '8Gi', storageGiB: 200 },
} as const satisfies Record<string, NodeSize>;

export type SizeName = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as [SizeName, ...SizeName[]];

export const MAX_NODES = 9;
