// Bundling shim (lib/function-bundles.ts): node-fetch 2, which @kubernetes/client-node 1.x uses,
// takes `require('url').URL || whatwgUrl.URL`, and Node always has the first. The real whatwg-url
// (and its tr46 tables, ~260 KB minified) is never called, so the bundles get Node's own classes.
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
export default { URL, URLSearchParams };
