import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsHeaders } from '../../../functions/api/cors.js';
import { type HttpGateway, startHttpGateway } from '../../../local/runtime/http-gateway.js';

const CONSOLE_ORIGIN = 'http://127.0.0.1:4000';

describe('Function: corsHeaders', () => {
  it('echoes an allowed origin with the headers a browser client may read, and nothing for another', () => {
    // Act
    const allowed = corsHeaders(CONSOLE_ORIGIN, [CONSOLE_ORIGIN]);
    const other = corsHeaders('https://evil.example.com', [CONSOLE_ORIGIN]);
    const none = corsHeaders(undefined, [CONSOLE_ORIGIN]);

    // Assess
    expect(allowed).toEqual({
      'access-control-allow-origin': CONSOLE_ORIGIN,
      'access-control-expose-headers': 'location, retry-after, x-correlation-id',
      vary: 'Origin',
    });
    expect(other).toEqual({});
    expect(none).toEqual({});
  });
});

describe('Function: startHttpGateway (console and CORS preflight)', () => {
  let gateway: HttpGateway;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-gw-console-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dir, 'app.js'), 'export {};');
    gateway = await startHttpGateway({ host: '127.0.0.1', port: 0 });
    gateway.configure({
      corsOrigins: [CONSOLE_ORIGIN],
      console: {
        dir,
        config: { regions: [{ region: 'eu-west-1', apiUrl: gateway.url }] },
        apiOrigins: [gateway.url, 'http://127.0.0.1:4001'],
      },
    });
  });

  afterAll(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the console with its security headers, and its config.json', async () => {
    // Act
    const page = await fetch(`${gateway.url}/console/`);
    const config = await fetch(`${gateway.url}/console/config.json`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${gateway.url} http://127.0.0.1:4001; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<title>console</title>');
    expect(await config.json()).toEqual({ regions: [{ region: 'eu-west-1', apiUrl: gateway.url }] });
  });

  it('redirects /console to /console/ and serves only its own files', async () => {
    // Act
    const bare = await fetch(`${gateway.url}/console`, { redirect: 'manual' });
    const traversal = await fetch(`${gateway.url}/console/..%2f..%2fetc%2fpasswd`);
    const unknown = await fetch(`${gateway.url}/console/secrets.txt`);
    const post = await fetch(`${gateway.url}/console/`, { method: 'POST' });

    // Assess
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');
    expect(traversal.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(post.status).toBe(405);
  });

  it('answers the preflight of an allowed origin, as API Gateway does, and refuses another', async () => {
    // Act
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/v1/clusters`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
    const allowed = await preflight(CONSOLE_ORIGIN);
    const other = await preflight('https://evil.example.com');

    // Assess
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
