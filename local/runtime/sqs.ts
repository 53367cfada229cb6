import { buildApp } from 'fauxqs';

/** The local SQS endpoint (fauxqs), listening on one address. */
export interface LocalSqs {
  /** The endpoint clients use (`http://<host>:<port>`). */
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  /** The address to listen on, and the host in queue URLs (`http://sqs.<region>.<host>:<port>/...`). */
  readonly host: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The region of requests whose signature names none. */
  readonly defaultRegion: string;
}

/**
 * fauxqs, listening on `host` only. Its `startFauxqs` listens on 0.0.0.0 whatever its `host`
 * option says (that option only names the host in queue URLs: fauxqs 1.9.2 and 2.4.1 both call
 * `app.listen({ port, host: "0.0.0.0" })`), so this builds fauxqs's app itself and listens on
 * `host`. Queues are created over the SQS API (`createRegionQueues`), as a deployment creates them.
 */
export async function startLocalSqs(opts: LocalSqsOptions): Promise<LocalSqs> {
  const app = buildApp({ logger: false, host: opts.host, defaultRegion: opts.defaultRegion });
  const address = await app.listen({ port: opts.port ?? 0, host: opts.host });
  return {
    address,
    port: Number(new URL(address).port),
    stop: () => app.close(),
  };
}
