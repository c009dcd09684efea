/**
 * The open model (k6's constant-arrival-rate, wrk2): requests arrive on a timetable, whether or
 * not the system keeps up. Each wake-up starts every request whose time has come, so a late
 * timer delays requests but never loses or shifts them. Latency runs from the time a request
 * was *due*, so a system that stalls is charged for the whole wait (no coordinated omission).
 * A request that finds `maxInFlight` requests still outstanding when it is due is dropped, not
 * sent late: a late request would hide the stall it ran into.
 *
 * The clock and the sender are parameters, so tests drive this with a fake clock.
 */
import { randomUUID } from 'node:crypto';
import { createArrivals, offeredRequests, rateAt, type RateProfile } from './arrivals.js';
import { createLatencyHistogram, recordLatency, summarizeLatency, type Histogram, type LatencySummary } from './latency.js';
import { codeOf, outcomeOf, statusOf, type Answer, type LedgerEntry } from './ledger.js';

export interface LoadClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fire` after about `ms`; returns a cancel function. */
  setTimer(ms: number, fire: () => void): () => void;
}

const realClock: LoadClock = {
  now: () => performance.now(),
  setTimer(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/** How long in-flight requests may still finish after a stop (Ctrl-C) before they are abandoned. */
export const STOP_GRACE_MS = 1000;

/** One second of the run. Requests count in the second they were due in, whenever they ended. */
export interface TimelineSecond {
  second: number;
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  dropped: number;
  /** Latency in ms of this second's requests; 0 when none was sent. */
  p50: number;
  p99: number;
  max: number;
  /** Requests outstanding at the end of the second. */
  inFlight: number;
}

/** What became of the requests so far. */
export interface LoadCounts {
  scheduled: number;
  sent: number;
  /** Requests that got an HTTP answer, whatever its status. */
  completed: number;
  /** Requests answered 2xx. */
  ok: number;
  /** Sent requests that were not ok: non-2xx answers and requests without an answer. */
  errors: number;
  dropped: number;
}

/** What `onTick` sees, once a second. */
export interface LoadSnapshot extends LoadCounts {
  elapsedMs: number;
  durationMs: number;
  /** Requests per second asked for right now. */
  targetRate: number;
  inFlight: number;
  /** Since the previous tick: answers per second, and the latency in ms of the requests that ended (0 when none). */
  achievedRate: number;
  p50: number;
  p99: number;
  max: number;
  /** The timetable is done (or stopped); waiting for the last answers. */
  draining: boolean;
}

export interface OpenModelOptions {
  rate: number | RateProfile;
  durationMs: number;
  maxInFlight: number;
  /** Sends one request; resolves with what became of it (a rejection counts as `error:<code>`). */
  send: (key: string | undefined) => Promise<Answer>;
  /** Give each request a fresh idempotency key and keep a ledger entry for it. */
  ledger: boolean;
  /** Ends every request still outstanding (a stop's grace ran out); each must then settle. */
  abandon?: () => void;
  signal?: AbortSignal;
  onTick?: (snapshot: LoadSnapshot) => void;
  clock?: LoadClock;
  /** Epoch milliseconds, for the ledger's times. */
  wallClock?: () => number;
  newKey?: () => string;
}

export interface OpenModelResult extends LoadCounts {
  /** Requests per second asked for, on average over the run. */
  rateOffered: number;
  /** How long the timetable ran: the duration asked for, or less when stopped. */
  durationMs: number;
  interrupted: boolean;
  /** completed per second over the run. */
  achievedRate: number;
  /** Every request that was not ok, by status (`503`, `error:timeout`, …). */
  errorsByStatus: Record<string, number>;
  /** Every sent request, from when it was due to when it ended, whatever its outcome. */
  latencyMs: LatencySummary;
  timeline: TimelineSecond[];
  /** One entry per sent request in the order they were sent; empty unless `ledger`. */
  ledger: LedgerEntry[];
}

interface Second extends TimelineSecond {
  ended: number;
  histogram?: Histogram;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs a load on the open model and resolves when every request sent has ended. */
export async function runOpenModel(options: OpenModelOptions): Promise<OpenModelResult> {
  const { rate, durationMs, maxInFlight, send, signal, onTick } = options;
  const clock = options.clock ?? realClock;
  const newKey = options.newKey ?? randomUUID;
  const start = clock.now();
  const wallStart = (options.wallClock ?? Date.now)();
  const elapsed = () => clock.now() - start;
  const wall = (at: number) => round(wallStart + at, 3);

  const seconds: Second[] = Array.from({ length: Math.ceil(durationMs / 1000) }, (_, second) => ({
    second, scheduled: 0, sent: 0, ok: 0, errors: 0, dropped: 0, p50: 0, p99: 0, max: 0, inFlight: 0, ended: 0,
  }));
  const overall = createLatencyHistogram();
  const recent = createLatencyHistogram();
  const errorsByStatus: Record<string, number> = {};
  const ledger: LedgerEntry[] = [];
  /** Seconds with a histogram whose latency figures are not final yet (a handful at most). */
  const open = new Set<Second>();
  let scheduled = 0, sent = 0, completed = 0, ok = 0, dropped = 0, inFlight = 0;
  let recentCompleted = 0;
  let lastTickAt = 0;
  let timetableDone = false;
  /** When the next request not yet started is due (Infinity once the timetable is done). */
  let nextDue = 0;
  let stoppedAt: number | undefined;

  // The loop naps until the next due time or tick; an ended request or a stop can wake it early.
  let wake: (() => void) | undefined;
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const cancel = clock.setTimer(ms, () => {
        wake = undefined;
        resolve();
      });
      wake = () => {
        cancel();
        wake = undefined;
        resolve();
      };
    });
  const onAbort = () => {
    stoppedAt ??= elapsed();
    wake?.();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });

  /** A second's latency is final once its timetable is past and all its requests ended. */
  const settle = (row: Second) => {
    if (!row.histogram || row.ended < row.sent || nextDue < (row.second + 1) * 1000) return;
    const { p50, p99, max } = summarizeLatency(row.histogram);
    Object.assign(row, { p50, p99, max });
    row.histogram = undefined;
    open.delete(row);
  };

  const finish = (row: Second, dueAt: number, answer: Answer, entry: LedgerEntry | undefined) => {
    const at = elapsed();
    inFlight--;
    row.ended++;
    const latency = at - dueAt;
    recordLatency(overall, latency);
    recordLatency(recent, latency);
    if (!row.histogram) {
      row.histogram = createLatencyHistogram();
      open.add(row);
    }
    recordLatency(row.histogram, latency);
    const answered = 'status' in answer;
    if (answered) {
      completed++;
      recentCompleted++;
    }
    if (answered && answer.status >= 200 && answer.status < 300) {
      ok++;
      row.ok++;
    } else {
      row.errors++;
      const status = String(statusOf(answer));
      errorsByStatus[status] = (errorsByStatus[status] ?? 0) + 1;
    }
    if (entry) {
      entry.status = statusOf(answer);
      entry.outcome = outcomeOf(answer);
      if (entry.outcome === 'accepted') entry.orderId = (answer as { orderId: string }).orderId;
      entry.finishedAt = wall(at);
    }
    settle(row);
    if (inFlight === 0 && timetableDone) wake?.();
  };

  const launch = (dueAt: number, now: number) => {
    const row = seconds[Math.floor(dueAt / 1000)]!;
    scheduled++;
    row.scheduled++;
    if (inFlight >= maxInFlight) {
      dropped++;
      row.dropped++;
      return;
    }
    inFlight++;
    sent++;
    row.sent++;
    const key = options.ledger ? newKey() : undefined;
    // Filled in when it ends; until then it is what a crash would leave: unknown.
    const entry: LedgerEntry | undefined = key ? { key, outcome: 'unknown', status: 'pending', scheduledAt: wall(dueAt), sentAt: wall(now), finishedAt: 0 } : undefined;
    if (entry) ledger.push(entry);
    let settled: Promise<Answer>;
    try {
      settled = send(key);
    } catch (error) {
      settled = Promise.reject(error);
    }
    settled.then(
      (answer) => finish(row, dueAt, answer, entry),
      (error: unknown) => finish(row, dueAt, { error: codeOf(error) }, entry),
    );
  };

  const errorsSoFar = () => sent - inFlight - ok;
  const tick = (now: number) => {
    // The seconds that ended since the last tick end with what is in flight now.
    for (let i = Math.floor(lastTickAt / 1000); i < Math.min(Math.floor(now / 1000), seconds.length); i++) seconds[i]!.inFlight = inFlight;
    for (const row of open) settle(row);
    const window = Math.max(1, now - lastTickAt);
    const { p50, p99, max } = summarizeLatency(recent);
    onTick?.({
      elapsedMs: Math.round(Math.min(now, durationMs)),
      durationMs,
      targetRate: timetableDone ? 0 : rateAt(rate, now),
      scheduled, sent, completed, ok, errors: errorsSoFar(), dropped, inFlight,
      achievedRate: round((recentCompleted * 1000) / window), p50, p99, max,
      draining: timetableDone,
    });
    recent.reset();
    recentCompleted = 0;
    lastTickAt = now;
  };
  let nextTickAt = 1000;
  const tickIfDue = (now: number) => {
    if (now < nextTickAt) return;
    tick(now);
    nextTickAt = (Math.floor(now / 1000) + 1) * 1000;
  };

  try {
    // The timetable.
    const arrivals = createArrivals(rate, durationMs);
    let due = arrivals.next();
    for (;;) {
      const now = elapsed();
      if (stoppedAt !== undefined) break;
      while (due !== undefined && due <= now) {
        // A tick reports the seconds before it: one that came late goes out before later requests start.
        if (due >= nextTickAt) tickIfDue(now);
        launch(due, now);
        due = arrivals.next();
      }
      nextDue = due ?? Infinity;
      tickIfDue(now);
      if (now >= durationMs) break;
      await nap(Math.min(due ?? durationMs, nextTickAt, durationMs) - now);
    }
    timetableDone = true;
    nextDue = Infinity;
    const ranFor = Math.min(durationMs, stoppedAt ?? durationMs);
    // The last second ends with the timetable (early, after a stop).
    const lastRow = seconds[Math.ceil(ranFor / 1000) - 1];
    if (lastRow) lastRow.inFlight = inFlight;

    // Drain: wait for the answers still to come; after a stop, only for a grace period.
    let abandoned = false;
    while (inFlight > 0) {
      const now = elapsed();
      tickIfDue(now);
      const giveUpAt = stoppedAt === undefined || abandoned ? Infinity : stoppedAt + STOP_GRACE_MS;
      if (now >= giveUpAt) {
        abandoned = true;
        options.abandon?.();
        continue;
      }
      await nap(Math.min(nextTickAt, giveUpAt) - now);
    }

    for (const row of open) settle(row);
    const durationRun = Math.max(1, ranFor);
    return {
      rateOffered: round((offeredRequests(rate, durationMs) * 1000) / durationMs),
      durationMs: round(ranFor, 0),
      interrupted: stoppedAt !== undefined && stoppedAt < durationMs,
      scheduled, sent, completed, ok, errors: sent - ok, dropped,
      achievedRate: round((completed * 1000) / durationRun),
      errorsByStatus,
      latencyMs: summarizeLatency(overall),
      timeline: seconds
        .filter((row) => row.second * 1000 < ranFor)
        .map(({ second, scheduled, sent, ok, errors, dropped, p50, p99, max, inFlight }) => ({ second, scheduled, sent, ok, errors, dropped, p50, p99, max, inFlight })),
      ledger,
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
