import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeStandin, startKubeStandin } from '../../../local/kube-standin/server.js';
import { type Random, randomSource } from '../../../local/random.js';

const FAULTS = { timeoutRate: 0.1, timeoutMs: 5, dropRate: 0.1, errorRate: 0.3, errorStatus: 503 } as const;
const started: KubeStandin[] = [];

async function standin(random: Random): Promise<KubeStandin> {
  const s = await startKubeStandin({ random, faults: FAULTS });
  started.push(s);
  return s;
}

/** One GET on a fresh connection: the status, or `none` when the connection was dropped unanswered. */
function get(s: KubeStandin, path: string): Promise<number | 'none'> {
  return new Promise((resolve) => {
    const req = request(`${s.plainUrl}${path}`, {
      agent: false,
      headers: { authorization: `Bearer ${s.token}` },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('none'));
    req.end();
  });
}

/** `n` requests one after the other, each preceded by a discovery request (which takes no draw). */
async function outcomes(s: KubeStandin, n: number): Promise<Array<number | 'none'>> {
  const out: Array<number | 'none'> = [];
  for (let i = 0; i < n; i++) {
    expect(await get(s, '/api/v1')).toBe(200);
    out.push(await get(s, '/api/v1/namespaces/default'));
  }
  return out;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('Function: startKubeStandin (seeded faults)', () => {
  it('gives the n-th request the fate of the n-th draw: one draw, at most one fault', async () => {
    // Prepare
    const s = await standin(randomSource(11, 'kube'));
    const draws = randomSource(11, 'kube');

    // Act
    const got = await outcomes(s, 60);

    // Assess
    const expected = Array.from({ length: 60 }, () => {
      const u = draws();
      if (u < FAULTS.timeoutRate + FAULTS.dropRate) return 'none';
      return u < FAULTS.timeoutRate + FAULTS.dropRate + FAULTS.errorRate ? 503 : 200;
    });
    expect(got).toEqual(expected);
    expect(s.stats()).toMatchObject({
      requests: 60,
      errors: expected.filter((o) => o === 503).length,
    });
    expect(s.stats().timeouts + s.stats().drops).toBe(expected.filter((o) => o === 'none').length);
  });

  it('replays the same fault sequence for the same seed, another one for another seed', async () => {
    // Act
    const [a, b, c] = await Promise.all([
      standin(randomSource(5, 'kube:eu-west-1')).then((s) => outcomes(s, 40)),
      standin(randomSource(5, 'kube:eu-west-1')).then((s) => outcomes(s, 40)),
      standin(randomSource(6, 'kube:eu-west-1')).then((s) => outcomes(s, 40)),
    ]);

    // Assess
    expect(new Set(a)).toEqual(new Set([200, 503, 'none']));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('refuses rates that add up to more than one fault per request', async () => {
    const s = await standin(Math.random);
    expect(() => s.setFaults({ errorRate: 0.6, timeoutRate: 0.5 })).toThrow(
      'errorRate + timeoutRate + dropRate must not exceed 1',
    );
    expect(() => s.setFaults({ dropRate: -0.1 })).toThrow('dropRate must be within 0..1');
  });
});

describe('Function: startKubeStandin (rejections)', () => {
  it('answers matching requests with the given status and message, every time, and lets others through', async () => {
    // Prepare
    const s = await startKubeStandin({
      faults: {
        rejections: [
          { method: 'GET', kind: 'Namespace', status: 403, message: 'User "arn:aws:sts::1:x" no' },
        ],
      },
    });
    started.push(s);

    // Act
    const rejected = await fetch(`${s.plainUrl}/api/v1/namespaces/default`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    const other = await get(s, '/api/v1/namespaces/default/configmaps');
    const discovery = await get(s, '/api/v1');

    // Assess
    expect(rejected.status).toBe(403);
    expect(await rejected.json()).toMatchObject({
      reason: 'Forbidden',
      message: 'User "arn:aws:sts::1:x" no',
    });
    expect(other).not.toBe(403);
    expect(discovery).toBe(200);
    expect(s.stats().errors).toBe(1);
  });

  it('rejects only the first `times` matching requests of a rule, then lets them through', async () => {
    // Prepare
    const s = await startKubeStandin({
      faults: { rejections: [{ method: 'GET', kind: 'Namespace', status: 422, message: 'once', times: 1 }] },
    });
    started.push(s);

    // Act
    const first = await get(s, '/api/v1/namespaces/default');
    const second = await get(s, '/api/v1/namespaces/default');

    // Assess
    expect([first, second]).toEqual([422, 200]);
    expect(s.stats().errors).toBe(1);
  });
});
