/**
 * `stratus`: the user CLI of the public /v1 API, over the SDK (README, "CLI"). bin/stratus.mjs runs
 * the esbuild bundle of this file; tests run that same launcher as a child process.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  type ClusterMutation,
  type DryRun,
  type Operation,
  OperationTimeoutError,
  StratusApiError,
  StratusClient,
  StratusNetworkError,
} from '../../sdk/index.js';
import { type ResolvedProfile, resolveProfile, saveProfile, urlForRegion } from './config.js';
import { tailEvents } from './events.js';
import { CliError, EXIT, exitCodeOf } from './exit-codes.js';
import {
  API_KEY_COLUMNS,
  CLUSTER_COLUMNS,
  CONNECTION_COLUMNS,
  type Column,
  FORMATS,
  type Format,
  OPERATION_COLUMNS,
  parseFormat,
  render,
} from './output.js';
import { waitWithProgress } from './progress.js';

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

interface Globals {
  output: Format;
  region?: string;
  profile?: string;
}

interface MutationFlags {
  wait?: boolean;
  timeout: number;
  dryRun?: boolean;
  idempotencyKey?: string;
}

const ID_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.OK;
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);

  const program = new Command('stratus')
    .description('Manage Stratus database clusters through the public /v1 API.')
    .addOption(
      new Option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`)
        .default('table')
        .argParser(parseFormatArg),
    )
    .option('--region <region>', "route to this region's API (and, for create, the cluster's region)")
    .option('--profile <name>', 'profile of the config file (default: $STRATUS_PROFILE or "default")')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      `
Credentials: STRATUS_API_URL + STRATUS_API_KEY, else a profile (stratus login), else .stratus/local.json (npm start).
Exit codes: 0 success, 1 other error, 2 invalid input, 3 not found, 4 authentication or role,
            5 the operation ended FAILED or CANCELLED (cancel: not CANCELLED), 6 --wait timed out.`,
    );

  const globals = (cmd: Command): Globals => cmd.optsWithGlobals() as Globals;
  const profileOf = (g: Globals) => resolveProfile(io.env, io.cwd, g.profile);
  const clientFor = async (g: Globals, region = g.region): Promise<StratusClient> => {
    const profile = await profileOf(g);
    return new StratusClient({ baseUrl: urlForRegion(profile, region), apiKey: profile.apiKey });
  };
  const show = (g: Globals, data: unknown, columns: readonly Column[], rows?: readonly unknown[]) =>
    out(render(g.output, data, columns, rows));

  /** A mutation's answer: the dry run's outcome, or the operation (waited for with --wait). */
  const finishMutation = async (
    g: Globals,
    stratus: StratusClient,
    flags: MutationFlags,
    result: ClusterMutation | DryRun | Operation,
    /** The status that counts as success: SUCCEEDED, or CANCELLED for a cancel. */
    success: Operation['status'] = 'SUCCEEDED',
  ): Promise<void> => {
    if ('dryRun' in result) {
      if (g.output === 'table') out(`dry run: would ${result.outcome}; nothing was changed`);
      else show(g, result, []);
      return;
    }
    const mutation = 'cluster' in result ? result : undefined;
    const operation = mutation ? mutation.operation : (result as Operation);
    if (!flags.wait || !operation) {
      if (mutation) {
        show(g, mutation, CLUSTER_COLUMNS, [mutation.cluster]);
        if (operation && g.output === 'table')
          out(`operation ${operation.id} ${operation.status} (stratus operations wait ${operation.id})`);
      } else show(g, operation, OPERATION_COLUMNS);
      return;
    }
    const done = await waitWithProgress(stratus, operation.id, flags.timeout, io.stderr, {
      operation,
      clusterId: operation.clusterId,
      step: mutation?.cluster.status,
    });
    if (done.status !== success) exitCode = EXIT.OPERATION_FAILED;
    if (mutation && done.status === 'SUCCEEDED') {
      const cluster = await stratus.clusters.get(done.clusterId);
      show(g, { cluster, operation: done }, CLUSTER_COLUMNS, [cluster]);
    } else show(g, done, OPERATION_COLUMNS);
  };

  const mutationOptions = (cmd: Command): Command =>
    cmd
      .option('--wait', 'wait for the operation to end, showing its progress')
      .option(
        '--timeout <duration>',
        'with --wait: give up after this long (90s, 10m, or seconds)',
        parseDuration,
        600_000,
      )
      .option('--dry-run', 'validate only: show what would happen, change nothing')
      .option(
        '--idempotency-key <key>',
        'Idempotency-Key for the request (default: a new one)',
        parseIdempotencyKey,
      );

  program
    .command('login')
    .description('save an API URL and key as a profile (config file mode 0600); checks the key first')
    .requiredOption('--url <url>', 'API base URL, e.g. https://api.example.com', parseUrl)
    .requiredOption('--key <key>', 'API key (sk_...)')
    .option(
      '--region-url <region=url...>',
      "a region's API URL, for --region (repeatable)",
      collectRegionUrl,
      {},
    )
    .action(async (flags: { url: string; key: string; regionUrl: Record<string, string> }, cmd: Command) => {
      const g = globals(cmd);
      await new StratusClient({ baseUrl: flags.url, apiKey: flags.key }).clusters.list({ limit: 1 });
      const name = g.profile ?? io.env.STRATUS_PROFILE ?? 'default';
      const path = await saveProfile(io.env, name, {
        apiUrl: flags.url,
        apiKey: flags.key,
        ...(Object.keys(flags.regionUrl).length ? { regions: flags.regionUrl } : {}),
      });
      err(`logged in to ${flags.url} as profile "${name}" (saved in ${path}, mode 0600)`);
    });

  const clusters = program.command('clusters').description('create, list, read, change and delete clusters');
  mutationOptions(
    clusters
      .command('create')
      .description('create a cluster (202: an operation to wait for)')
      .requiredOption('--name <name>', 'cluster name (3-40, lower-case DNS label)')
      .requiredOption(
        '--engine <engine>',
        'dragonfly, mongodb, postgresql, qdrant, scylladb, valkey, yugabytedb',
      )
      .option('--nodes <n>', 'nodes (1-9)', parseWhole)
      .option('--size <size>', 'small, medium, large')
      .option('--version <version>', 'engine version (default: the newest)')
      .option(
        '--setting <key=value...>',
        'engine setting (repeatable; value parsed as JSON when it can be)',
        collectSetting,
        {},
      )
      .option('--deletion-protection', 'refuse deletes until it is turned off'),
  ).action(async (flags, cmd: Command) => {
    const g = globals(cmd);
    if (!g.region)
      throw new CliError('clusters create needs --region <region> (where the cluster runs)', EXIT.VALIDATION);
    const stratus = await clientFor(g);
    const input = {
      name: flags.name,
      engine: flags.engine,
      region: g.region,
      ...(flags.nodes !== undefined ? { nodes: flags.nodes } : {}),
      ...(flags.size !== undefined ? { size: flags.size } : {}),
      ...(flags.version !== undefined ? { version: flags.version } : {}),
      ...(Object.keys(flags.setting).length ? { settings: flags.setting } : {}),
      ...(flags.deletionProtection ? { deletionProtection: true } : {}),
    };
    const result = flags.dryRun
      ? await stratus.clusters.createDryRun(input)
      : await stratus.clusters.create(input, idem(flags));
    await finishMutation(g, stratus, flags, result);
  });

  clusters
    .command('list')
    .description('list clusters, every page (oldest first)')
    .option('--engine <engine>', 'only this engine')
    .option('--status <status>', 'only this status (DELETED shows deleted clusters)')
    .option('--in-region <region>', 'only clusters in this region (--region routes the request)')
    .action(async (flags: { engine?: string; status?: string; inRegion?: string }, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      const items = [];
      const query = {
        ...(flags.engine ? { engine: flags.engine } : {}),
        ...(flags.status ? { status: flags.status as never } : {}),
        ...(flags.inRegion ? { region: flags.inRegion } : {}),
        limit: 100,
      };
      for await (const c of stratus.clusters.listAll(query)) items.push(c);
      show(g, items, CLUSTER_COLUMNS);
    });

  clusters
    .command('get <clusterId>')
    .description('read a cluster: desired spec and observed status')
    .action(async (clusterId: string, _flags, cmd: Command) => {
      const g = globals(cmd);
      show(g, await (await clientFor(g)).clusters.get(clusterId), CLUSTER_COLUMNS);
    });

  mutationOptions(
    clusters
      .command('update <clusterId>')
      .description('scale, resize, upgrade, change settings or deletion protection')
      .option('--nodes <n>', 'nodes (1-9)', parseWhole)
      .option('--size <size>', 'small, medium, large (storage never shrinks)')
      .option('--version <version>', 'engine version (per the engine upgrade rule)')
      .option('--setting <key=value...>', 'engine setting (repeatable)', collectSetting, {})
      .option('--deletion-protection', 'turn deletion protection on')
      .option('--no-deletion-protection', 'turn deletion protection off'),
  ).action(async (clusterId: string, flags, cmd: Command) => {
    const g = globals(cmd);
    const input = {
      ...(flags.nodes !== undefined ? { nodes: flags.nodes } : {}),
      ...(flags.size !== undefined ? { size: flags.size } : {}),
      ...(flags.version !== undefined ? { version: flags.version } : {}),
      ...(Object.keys(flags.setting).length ? { settings: flags.setting } : {}),
      ...(flags.deletionProtection !== undefined ? { deletionProtection: flags.deletionProtection } : {}),
    };
    if (Object.keys(input).length === 0)
      throw new CliError(
        'clusters update needs a change: --nodes, --size, --version, --setting or --[no-]deletion-protection',
        EXIT.VALIDATION,
      );
    const stratus = await clientFor(g);
    const result = flags.dryRun
      ? await stratus.clusters.updateDryRun(clusterId, input)
      : await stratus.clusters.update(clusterId, input, idem(flags));
    await finishMutation(g, stratus, flags, result);
  });

  mutationOptions(
    clusters
      .command('delete <clusterId>')
      .description('delete a cluster (refused while deletion protection is on)'),
  ).action(async (clusterId: string, flags, cmd: Command) => {
    const g = globals(cmd);
    const stratus = await clientFor(g);
    const result = flags.dryRun
      ? await stratus.clusters.deleteDryRun(clusterId)
      : await stratus.clusters.delete(clusterId, idem(flags));
    await finishMutation(g, stratus, flags, result);
  });

  const operations = program.command('operations').description('follow and cancel operations');
  operations
    .command('get <operationId>')
    .description('read an operation')
    .action(async (operationId: string, _flags, cmd: Command) => {
      const g = globals(cmd);
      show(g, await (await clientFor(g)).operations.get(operationId), OPERATION_COLUMNS);
    });
  operations
    .command('list')
    .description("a cluster's operations, newest first")
    .requiredOption('--cluster <clusterId>', 'the cluster')
    .action(async (flags: { cluster: string }, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      const items = [];
      for await (const op of stratus.clusters.operationsAll(flags.cluster, { limit: 100 })) items.push(op);
      show(g, items, OPERATION_COLUMNS);
    });
  operations
    .command('wait <operationId>')
    .description('wait for an operation to end, showing its progress')
    .option('--timeout <duration>', 'give up after this long (90s, 10m, or seconds)', parseDuration, 600_000)
    .action(async (operationId: string, flags: { timeout: number }, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      const done = await waitWithProgress(stratus, operationId, flags.timeout, io.stderr);
      if (done.status !== 'SUCCEEDED') exitCode = EXIT.OPERATION_FAILED;
      show(g, done, OPERATION_COLUMNS);
    });
  mutationOptions(
    operations.command('cancel <operationId>').description('cancel an operation still QUEUED'),
  ).action(async (operationId: string, flags, cmd: Command) => {
    const g = globals(cmd);
    const stratus = await clientFor(g);
    const result = flags.dryRun
      ? await stratus.operations.cancelDryRun(operationId)
      : await stratus.operations.cancel(operationId, idem(flags));
    await finishMutation(g, stratus, flags, result, 'CANCELLED');
  });

  const apiKeys = program.command('api-keys').description("the tenant's API keys (admin)");
  apiKeys
    .command('create')
    .description('create a key: its secret is shown this once')
    .requiredOption('--name <name>', 'key name')
    .requiredOption('--role <role>', 'admin, editor or viewer')
    .option('--expires-at <time>', 'ISO 8601 time (default: 90 days ahead, at most 366)')
    .option('--dry-run', 'validate only')
    .option('--idempotency-key <key>', 'Idempotency-Key for the request', parseIdempotencyKey)
    .action(async (flags, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      const input = {
        name: flags.name,
        role: flags.role,
        ...(flags.expiresAt ? { expiresAt: flags.expiresAt } : {}),
      };
      if (flags.dryRun)
        return finishMutation(g, stratus, {} as MutationFlags, await stratus.apiKeys.createDryRun(input));
      const key = await stratus.apiKeys.create(input, idem(flags));
      show(g, key, [...API_KEY_COLUMNS, ['SECRET', (r) => r.secret]]);
      if (key.secret) err('The secret is shown once: store it now.');
    });
  apiKeys
    .command('list')
    .description("the tenant's keys (never their secrets)")
    .action(async (_flags, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      const items = [];
      for await (const k of stratus.apiKeys.listAll({ limit: 100 })) items.push(k);
      show(g, items, API_KEY_COLUMNS);
    });
  apiKeys
    .command('revoke <keyId>')
    .description('revoke a key: its next request gets 401')
    .option('--dry-run', 'validate only')
    .option('--idempotency-key <key>', 'Idempotency-Key for the request', parseIdempotencyKey)
    .action(async (keyId: string, flags, cmd: Command) => {
      const g = globals(cmd);
      const stratus = await clientFor(g);
      if (flags.dryRun)
        return finishMutation(g, stratus, {} as MutationFlags, await stratus.apiKeys.revokeDryRun(keyId));
      show(g, await stratus.apiKeys.revoke(keyId, idem(flags)), API_KEY_COLUMNS);
    });

  const connection = program.command('connection').description("a cluster's connection details");
  connection
    .command('get <clusterId>')
    .description('endpoint, host, port and where the credential lives (not its value)')
    .action(async (clusterId: string, _flags, cmd: Command) => {
      const g = globals(cmd);
      show(g, await (await clientFor(g)).clusters.connection(clusterId), CONNECTION_COLUMNS);
    });
  connection
    .command('reveal <clusterId>')
    .description("the credential's value (admin; audited)")
    .action(async (clusterId: string, _flags, cmd: Command) => {
      const g = globals(cmd);
      show(g, await (await clientFor(g)).clusters.revealConnection(clusterId), [
        ...CONNECTION_COLUMNS,
        ['SECRET', (r) => r.secret],
      ]);
    });

  program
    .command('events')
    .description('status-change events of the bus')
    .command('tail')
    .description("print the local bus's events (npm start: .stratus/regions/<region>/events.jsonl)")
    .option('-f, --follow', 'keep printing new events until interrupted')
    .option('-n, --lines <n>', 'start with the last n events', parseWhole, 20)
    .option('--cluster <clusterId>', "only this cluster's events")
    .action(async (flags: { follow?: boolean; lines: number; cluster?: string }, cmd: Command) => {
      const g = globals(cmd);
      const profile: ResolvedProfile = await profileOf(g);
      const interrupted = new AbortController();
      const stop = () => interrupted.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await tailEvents({
          profile,
          region: g.region,
          ...flags,
          format: g.output,
          write: out,
          signal: interrupted.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK;
      if (error.code === 'commander.help') return EXIT.OK;
      return EXIT.VALIDATION;
    }
    err(describeError(error));
    return exitCodeOf(error);
  }
}

/** One readable message per error: the problem's title, code and fields; never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof StratusApiError) {
    const lines = [`error: ${error.message} (${error.code}, HTTP ${error.status})`];
    for (const f of error.errors) lines.push(`  ${f.path || '(body)'}: ${f.message}`);
    if (error.operationId) lines.push(`  operation in progress: ${error.operationId}`);
    if (error.retryAfter !== undefined) lines.push(`  retry after ${error.retryAfter}s`);
    if (error.correlationId) lines.push(`  correlation id: ${error.correlationId}`);
    return lines.join('\n');
  }
  if (error instanceof OperationTimeoutError)
    return `error: ${error.message} (still ${(error.operation as Operation | undefined)?.status ?? 'unknown'}; stratus operations wait ${error.operationId})`;
  if (error instanceof StratusNetworkError || error instanceof CliError) return `error: ${error.message}`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

function idem(flags: { idempotencyKey?: string }): { idempotencyKey?: string } {
  return flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {};
}

function parseFormatArg(value: string): Format {
  try {
    return parseFormat(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--output /, ''));
  }
}

function parseWhole(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, not "${value}"`);
  return Number(value);
}

/** 90s, 10m, 1h, or plain seconds, to milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 90s, 10m or 1h, not "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError('the duration must be more than 0');
  return ms;
}

function parseIdempotencyKey(value: string): string {
  if (!ID_KEY.test(value)) throw new InvalidArgumentError('1-255 characters of A-Z a-z 0-9 _ . : -');
  return value;
}

function parseUrl(value: string): string {
  if (!/^https?:\/\/[^/]/.test(value))
    throw new InvalidArgumentError(`expected an http(s) URL, not "${value}"`);
  return value.replace(/\/+$/, '');
}

function collectSetting(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, not "${value}"`);
  const raw = value.slice(at + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...previous, [value.slice(0, at)]: parsed };
}

function collectRegionUrl(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected region=url, not "${value}"`);
  return { ...previous, [value.slice(0, at)]: parseUrl(value.slice(at + 1)) };
}
