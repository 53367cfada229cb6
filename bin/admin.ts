#!/usr/bin/env node
/**
 * `npm run admin -- <group> <command> [options]`: operator commands (tenants, DLQs, ...).
 * Entry point only: each group lives in cli/<group>.ts and exports `run(args)`.
 */
const groups: Record<string, () => Promise<{ run(args: string[]): Promise<void>; usage: string }>> = {
  tenants: () => import('../cli/tenants.js'),
  dlq: () => import('../cli/dlq.js'),
  regions: () => import('../cli/regions.js'),
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const [group, ...args] = process.argv.slice(2);
const load = group ? groups[group] : undefined;
if (!load) {
  console.error(`Usage: npm run admin -- <${Object.keys(groups).join('|')}> <command> [options]`);
  process.exit(2);
}
const mod = await load();
try {
  await mod.run(args);
} catch (e) {
  console.error(`admin ${group}: ${(e as Error).message}\n\n${mod.usage}`);
  process.exit(1);
}
