/**
 * Readiness as one small interface, after testcontainers: a strategy knows its target and how
 * to check it once; `waitFor` polls it until it holds, the deadline passes or the process behind
 * it dies — and then says what it waited for, for how long, and what the logs said last.
 */
import { connect } from 'node:net';
import { TimeoutError, LabError } from './errors.js';

export interface WaitContext {
  /** The member's log since it was started (for log-message strategies and error reports). */
  logText?: () => string;
  /** Set when the process behind the target has exited: why, in a few words. */
  exited?: () => string | undefined;
  signal?: AbortSignal;
}

export interface WaitStrategy {
  /** What is waited for, in words ("http://127.0.0.1:8000/health answers 200"). */
  readonly target: string;
  readonly timeoutMs: number;
  /** One attempt: true when ready. Must not throw for "not yet". */
  check(context: WaitContext): Promise<boolean>;
  withTimeout(ms: number): WaitStrategy;
}

function strategy(target: string, timeoutMs: number, check: WaitStrategy['check']): WaitStrategy {
  return { target, timeoutMs, check, withTimeout: (ms) => strategy(target, ms, check) };
}

const DEFAULT_TIMEOUT_MS = 60_000;

export const Wait = {
  /** An HTTP GET answering with the given status (200 by default). */
  forHttp(url: string, options: { status?: number; timeoutMs?: number } = {}): WaitStrategy {
    const status = options.status ?? 200;
    return strategy(`${url} answers ${status}`, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async () => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        return response.status === status;
      } catch {
        return false;
      }
    });
  },

  /** A TCP connection accepted on host:port. */
  forTcp(host: string, port: number, options: { timeoutMs?: number } = {}): WaitStrategy {
    return strategy(`${host}:${port} accepts TCP connections`, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => tcpOpen(host, port));
  },

  /** A line of the member's log matching the pattern. */
  forLogMessage(pattern: RegExp | string, options: { timeoutMs?: number } = {}): WaitStrategy {
    const regex = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    return strategy(`log line matching ${regex}`, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (context) => regex.test(context.logText?.() ?? ''));
  },

  /** Every strategy holds (checked in order; the slowest sets the pace). */
  forAll(strategies: readonly WaitStrategy[], options: { timeoutMs?: number } = {}): WaitStrategy {
    return strategy(strategies.map((s) => s.target).join(' and '), options.timeoutMs ?? Math.max(...strategies.map((s) => s.timeoutMs)), async (context) => {
      for (const s of strategies) if (!(await s.check(context))) return false;
      return true;
    });
  },
};

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Last lines of a log, for error reports. */
export function lastLines(text: string, count = 15): string[] {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  return lines.slice(-count);
}

/**
 * Polls the strategy until it holds. Fails fast when the process behind it exits, and on timeout
 * names the target, the milliseconds waited and the last log lines.
 */
export async function waitFor(name: string, wait: WaitStrategy, context: WaitContext = {}, intervalMs = 100): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (context.signal?.aborted) throw new LabError(`stopped waiting for ${name}`, { cause: context.signal.reason });
    if (await wait.check(context)) return;
    const exited = context.exited?.();
    const waited = Date.now() - started;
    if (exited !== undefined || waited >= wait.timeoutMs) {
      const tail = context.logText ? lastLines(context.logText()) : [];
      const what = exited !== undefined ? `${name} ${exited} before it was ready` : `${name} was not ready after ${waited} ms (waited for ${wait.target})`;
      throw new TimeoutError(what, { details: { target: wait.target, waitedMs: waited, lastLogLines: tail }, retriable: exited === undefined });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
