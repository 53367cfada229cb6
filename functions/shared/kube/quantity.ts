/** Kubernetes quantities (resource.Quantity): the reconciler's comparison, the provisioner's claims. */

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
/** A number, then a binary or decimal suffix, or a decimal exponent (`1e9`, `5E-3`). */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+))?$/;

/** The value of a Kubernetes quantity (`500m`, `1Gi`, `2`, `1e9`), or undefined when it is not one. */
export function quantity(s: string): number | undefined {
  const m = QUANTITY.exec(s.trim());
  if (!m?.[1]) return undefined;
  return Number(m[1]) * (m[3] !== undefined ? 10 ** Number(m[3]) : (SUFFIX[m[2] ?? ''] ?? 1));
}
