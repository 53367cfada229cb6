/**
 * Where `stratus` finds its API and key (first match wins):
 *   1. STRATUS_API_URL + STRATUS_API_KEY (both, or neither)
 *   2. a profile of the config file (--profile, else STRATUS_PROFILE, else "default"), written by `stratus login`
 *   3. the local runtime's <STRATUS_DATA or .stratus>/local.json (npm start), when no profile exists
 * The config file ($STRATUS_CONFIG, else $XDG_CONFIG_HOME/stratus/config.json, else
 * ~/.config/stratus/config.json) holds keys: it is written with mode 0600 in a 0700 folder.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

export interface Profile {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Region -> that region's API URL, for --region routing. */
  readonly regions?: Readonly<Record<string, string>>;
  /** The local runtime's data folder (events tail). */
  readonly dataDir?: string;
}

export interface ResolvedProfile extends Profile {
  /** Where it came from, for messages. */
  readonly source: string;
}

interface ConfigFile {
  profiles: Record<string, Profile>;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function configPath(env: Env): string {
  if (env.STRATUS_CONFIG) return resolve(env.STRATUS_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'stratus', 'config.json');
}

export function dataDirOf(env: Env, cwd: string): string {
  return resolve(cwd, env.STRATUS_DATA || '.stratus');
}

async function readConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT.ERROR);
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { profiles: parsed.profiles && typeof parsed.profiles === 'object' ? parsed.profiles : {} };
  } catch {
    throw new CliError(
      `${path} is not valid JSON: fix it or remove it and run stratus login again`,
      EXIT.ERROR,
    );
  }
}

/** Writes one profile, keeping the others; the file is 0600 from its first byte. */
export async function saveProfile(env: Env, name: string, profile: Profile): Promise<string> {
  const path = configPath(env);
  const config = await readConfig(path);
  config.profiles[name] = profile;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

export async function resolveProfile(env: Env, cwd: string, profileName?: string): Promise<ResolvedProfile> {
  const url = env.STRATUS_API_URL;
  const key = env.STRATUS_API_KEY;
  if (url || key) {
    if (!url || !key)
      throw new CliError('set both STRATUS_API_URL and STRATUS_API_KEY, or neither', EXIT.AUTH);
    return { apiUrl: url, apiKey: key, source: 'STRATUS_API_URL and STRATUS_API_KEY' };
  }
  const path = configPath(env);
  const name = profileName ?? env.STRATUS_PROFILE ?? 'default';
  const config = await readConfig(path);
  const profile = config.profiles[name];
  if (profile) return { ...profile, source: `profile "${name}" of ${path}` };
  if (profileName ?? env.STRATUS_PROFILE)
    throw new CliError(`no profile "${name}" in ${path}: run stratus login --profile ${name}`, EXIT.AUTH);
  const local = await readLocal(dataDirOf(env, cwd));
  if (local) return local;
  throw new CliError(
    'no credentials: run `stratus login --url <api-url> --key <api-key>`, set STRATUS_API_URL and ' +
      'STRATUS_API_KEY, or start the local runtime (npm start) in this folder',
    EXIT.AUTH,
  );
}

async function readLocal(dataDir: string): Promise<ResolvedProfile | undefined> {
  const file = join(dataDir, 'local.json');
  let parsed: { apiUrl?: unknown; apiKey?: unknown; regions?: Record<string, { apiUrl?: string }> };
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(
      `${file} is not readable JSON (is npm start writing it?): ${(e as Error).message}`,
      EXIT.ERROR,
    );
  }
  if (typeof parsed.apiUrl !== 'string' || typeof parsed.apiKey !== 'string')
    throw new CliError(`${file} has no apiUrl and apiKey`, EXIT.ERROR);
  const regions = Object.fromEntries(
    Object.entries(parsed.regions ?? {}).flatMap(([r, v]) =>
      typeof v?.apiUrl === 'string' ? [[r, v.apiUrl]] : [],
    ),
  );
  return { apiUrl: parsed.apiUrl, apiKey: parsed.apiKey, regions, dataDir, source: file };
}

/**
 * The API URL for --region: that region's URL when the profile knows it; else the default API, which
 * answers a 421 naming the right one for another region's mutations (and the SDK follows it).
 */
export function urlForRegion(profile: ResolvedProfile, region: string | undefined): string {
  return (region && profile.regions?.[region]) || profile.apiUrl;
}
