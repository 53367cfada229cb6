/** The CLI bundle's file URL, built first if missing or stale (build.mjs). */
export function buildCli(): Promise<string>;
