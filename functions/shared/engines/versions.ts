/**
 * Engine versions and the upgrade rules blueprints share. Versions are
 * `major.minor[.patch[.revision]]` (PostgreSQL has two parts: `17.5` is major 17, minor 5;
 * YugabyteDB has four: `2024.2.2.1` is release series 2024.2, patch 2, revision 1).
 */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The fourth part (YugabyteDB releases), else 0. */
  readonly revision: number;
}

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/;

export function parseVersion(version: string): Version | undefined {
  const m = VERSION.exec(version);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3] ?? 0),
    revision: Number(m[4] ?? 0),
  };
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.revision - b.revision;
}

/** The newest supported version matching `pick`, or undefined. */
export function newestWhere(versions: readonly string[], pick: (v: Version) => boolean): string | undefined {
  let best: { text: string; v: Version } | undefined;
  for (const text of versions) {
    const v = parseVersion(text);
    if (v && pick(v) && (!best || compareVersions(v, best.v) > 0)) best = { text, v };
  }
  return best?.text;
}

/** The engine-specific part of an upgrade check, run once the shared checks have passed. */
export type UpgradeRule = (from: Version, to: Version) => string | undefined;

/**
 * Builds a blueprint's `checkUpgrade`. Shared rules, before the engine's own: the same version is
 * a no-op; the target must be a supported version; the current version must parse; downgrades are
 * refused (data files written by a newer version are not guaranteed to be readable by an older one).
 */
export function upgradeChecker(
  displayName: string,
  versions: readonly string[],
  rule: UpgradeRule,
): (fromVersion: string, toVersion: string) => string | undefined {
  return (fromVersion, toVersion) => {
    if (fromVersion === toVersion) return undefined;
    if (!versions.includes(toVersion)) {
      return `${displayName} ${toVersion} is not supported; supported versions: ${versions.join(', ')}`;
    }
    const from = parseVersion(fromVersion);
    const to = parseVersion(toVersion);
    if (!from || !to) return `${displayName} cannot upgrade from the unrecognised version ${fromVersion}`;
    const order = compareVersions(to, from);
    if (order === 0) return undefined;
    if (order < 0) {
      return `${displayName} cannot be downgraded (${fromVersion} -> ${toVersion}); only upgrades are supported`;
    }
    return rule(from, to);
  };
}
