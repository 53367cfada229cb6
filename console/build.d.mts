/** The built site's folder (console/build.mjs). */
export declare const CONSOLE_DIR: string;
/** The site's folder, built first if missing or stale. */
export declare function buildConsoleSync(): string;
export declare function buildConsole(): Promise<string>;
