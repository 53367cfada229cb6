/**
 * Polls `tick` until stopped: every `minMs` while it reports changes (or something is in progress),
 * backing off by half up to `maxMs` while nothing changes, and doubling up to `errorMaxMs` after
 * errors. One request at a time; never two timers.
 */
export interface Poller {
  stop(): void;
  /** Polls now (after an action), and from the shortest interval again. */
  kick(): void;
}

export function poll(
  tick: (signal: AbortSignal) => Promise<{ busy: boolean }>,
  opts: { minMs?: number; maxMs?: number; errorMaxMs?: number; onError?: (e: unknown) => void } = {},
): Poller {
  const min = opts.minMs ?? 1000;
  const max = opts.maxMs ?? 10_000;
  const errorMax = opts.errorMaxMs ?? 30_000;
  const controller = new AbortController();
  let delay = min;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;

  async function run(): Promise<void> {
    if (controller.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const { busy } = await tick(controller.signal);
      delay = busy ? min : Math.min(max, Math.ceil(delay * 1.5));
    } catch (e) {
      if (controller.signal.aborted) return;
      opts.onError?.(e);
      delay = Math.min(errorMax, delay * 2);
    } finally {
      running = false;
    }
    schedule(again ? 0 : delay);
    again = false;
  }

  function schedule(ms: number): void {
    if (controller.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
  }

  void run();
  return {
    stop() {
      controller.abort();
      clearTimeout(timer);
    },
    kick() {
      delay = min;
      schedule(0);
    },
  };
}
