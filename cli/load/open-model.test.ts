import { describe, expect, it } from 'vitest';
import type { Answer } from './ledger.js';
import { runOpenModel, STOP_GRACE_MS, type LoadClock, type LoadSnapshot, type OpenModelOptions } from './open-model.js';

/**
 * Virtual time: whenever nothing else is left to run, jump to the earliest timer. The load's own
 * naps can be made to fire late (`lateMs`) to show that the timetable catches up; the fake
 * server's answers (`after`) always come on time.
 */
function fakeClock({ lateMs = 0 } = {}) {
  let now = 0;
  let sequence = 0;
  let pending = false;
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  const advance = () => {
    pending = false;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    now = Math.max(now, next.at);
    next.fire();
    kick();
  };
  const kick = () => {
    if (pending || timers.length === 0) return;
    pending = true;
    setImmediate(advance);
  };
  const add = (ms: number, fire: () => void) => {
    const timer = { at: now + ms, seq: sequence++, fire };
    timers.push(timer);
    kick();
    return () => {
      const index = timers.indexOf(timer);
      if (index >= 0) timers.splice(index, 1);
    };
  };
  const clock: LoadClock & { after(ms: number, fire: () => void): () => void } = {
    now: () => now,
    setTimer: (ms, fire) => add(ms + lateMs, fire),
    after: add,
  };
  return clock;
}

/** A fake server: answers each request after `latency(i)` ms; records when each was sent. */
function fakeServer(clock: ReturnType<typeof fakeClock>, latency: (i: number) => number, answer: (i: number) => Answer = (i) => ({ status: 201, orderId: `order-${i}` })) {
  const sentAt: number[] = [];
  const outstanding = new Set<() => void>();
  const send = (_key: string | undefined) =>
    new Promise<Answer>((resolve) => {
      const i = sentAt.push(clock.now()) - 1;
      const cancel = clock.after(latency(i), () => {
        outstanding.delete(abandon);
        resolve(answer(i));
      });
      const abandon = () => {
        cancel();
        resolve({ error: 'abandoned' });
      };
      outstanding.add(abandon);
    });
  const abandon = () => {
    for (const fail of outstanding) fail();
    outstanding.clear();
  };
  return { send, sentAt, abandon };
}

const run = (clock: ReturnType<typeof fakeClock>, options: Partial<OpenModelOptions> & Pick<OpenModelOptions, 'send'>) => {
  let keys = 0;
  return runOpenModel({ rate: 100, durationMs: 1000, maxInFlight: 256, ledger: true, clock, wallClock: () => 0, newKey: () => `key-${keys++}`, ...options });
};

describe('runOpenModel', () => {
  it('sends each request when it is due and counts it in its second', async () => {
    const clock = fakeClock();
    const server = fakeServer(clock, () => 5);
    const result = await run(clock, { send: server.send, durationMs: 2000 });
    expect(server.sentAt).toEqual(Array.from({ length: 200 }, (_, i) => i * 10));
    expect(result).toMatchObject({ rateOffered: 100, durationMs: 2000, interrupted: false, scheduled: 200, sent: 200, completed: 200, ok: 200, errors: 0, dropped: 0, achievedRate: 100, errorsByStatus: {} });
    // HDR percentiles hold three significant digits: 5 ms reads as up to 5.003 ms.
    for (const figure of Object.values(result.latencyMs)) expect(figure).toBeCloseTo(5, 1);
    expect(result.timeline).toEqual([
      { second: 0, scheduled: 100, sent: 100, ok: 100, errors: 0, dropped: 0, p50: expect.closeTo(5, 1), p99: expect.closeTo(5, 1), max: 5, inFlight: 0 },
      { second: 1, scheduled: 100, sent: 100, ok: 100, errors: 0, dropped: 0, p50: expect.closeTo(5, 1), p99: expect.closeTo(5, 1), max: 5, inFlight: 0 },
    ]);
  });

  it('catches up when its timer fires late, and charges the delay to latency', async () => {
    const clock = fakeClock({ lateMs: 25 });
    const server = fakeServer(clock, () => 5);
    const result = await run(clock, { send: server.send });
    // Every request still goes, none early, none more than a late wake-up after its time…
    expect(result).toMatchObject({ scheduled: 100, sent: 100, ok: 100, dropped: 0 });
    server.sentAt.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(i * 10);
      expect(t - i * 10).toBeLessThanOrEqual(25);
    });
    // …the ledger keeps the planned times, not the late ones…
    expect(result.ledger.map((e) => e.scheduledAt)).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    // …and latency runs from the planned time: 5 ms of service plus up to 25 ms of being late.
    expect(result.latencyMs.min).toBe(5);
    expect(result.latencyMs.max).toBeGreaterThan(20);
  });

  it('drops a request that finds maxInFlight outstanding when due, and never sends it late', async () => {
    // Every 100 ms, 250 ms each, at most 2 at once: the ones due at 200, 500 and 800 ms find 2 in flight.
    const clock = fakeClock();
    const server = fakeServer(clock, () => 250);
    const result = await run(clock, { send: server.send, rate: 10, maxInFlight: 2 });
    expect(server.sentAt).toEqual([0, 100, 300, 400, 600, 700, 900]);
    expect(result).toMatchObject({ scheduled: 10, sent: 7, ok: 7, dropped: 3, completed: 7 });
    expect(result.ledger).toHaveLength(7);
    expect(result.timeline[0]).toMatchObject({ scheduled: 10, sent: 7, dropped: 3, inFlight: 1 });
  });

  it('measures from the planned start, so a queue that builds up shows (no coordinated omission)', async () => {
    // A server that does one request at a time, 10 ms each, offered one every 5 ms: request i
    // ends at 10(i+1) ms, so it waited 5i + 10 ms. A closed-loop tester would report 10 ms for all.
    const clock = fakeClock();
    const server = fakeServer(clock, (i) => 10 * (i + 1) - clock.now());
    const result = await run(clock, { send: server.send, rate: 200 });
    expect(result.sent).toBe(200);
    expect(result.latencyMs.min).toBe(10);
    expect(result.latencyMs.max).toBeCloseTo(5 * 199 + 10, 0);
    expect(result.latencyMs.p50).toBeGreaterThan(490);
    expect(result.latencyMs.p50).toBeLessThan(520);
    // The second they were due in owns them, though most ended after it.
    expect(result.timeline).toEqual([expect.objectContaining({ second: 0, sent: 200, ok: 200, max: result.latencyMs.max, inFlight: 100 })]);
  });

  it('keeps a ledger entry per request sent, with what is known about it', async () => {
    const clock = fakeClock();
    const answers: Answer[] = [{ status: 201, orderId: 'a' }, { status: 422 }, { status: 503 }, { error: 'timeout' }, { error: 'ECONNREFUSED' }, { status: 200, orderId: 'b' }];
    const server = fakeServer(clock, () => 3, (i) => answers[i]!);
    const result = await run(clock, { send: server.send, rate: 6 });
    expect(result.ledger.map(({ key, outcome, status, orderId }) => ({ key, outcome, status, orderId }))).toEqual([
      { key: 'key-0', outcome: 'accepted', status: 201, orderId: 'a' },
      { key: 'key-1', outcome: 'rejected', status: 422, orderId: undefined },
      { key: 'key-2', outcome: 'unknown', status: 503, orderId: undefined },
      { key: 'key-3', outcome: 'unknown', status: 'error:timeout', orderId: undefined },
      { key: 'key-4', outcome: 'rejected', status: 'error:ECONNREFUSED', orderId: undefined },
      { key: 'key-5', outcome: 'accepted', status: 200, orderId: 'b' },
    ]);
    for (const entry of result.ledger) expect(entry.finishedAt - entry.sentAt).toBeCloseTo(3, 6);
    expect(result).toMatchObject({ sent: 6, completed: 4, ok: 2, errors: 4, errorsByStatus: { '422': 1, '503': 1, 'error:timeout': 1, 'error:ECONNREFUSED': 1 } });
    expect(result.timeline[0]).toMatchObject({ ok: 2, errors: 4 });
  });

  it('without a ledger sends no keys and keeps no entries', async () => {
    const clock = fakeClock();
    const keys: (string | undefined)[] = [];
    const server = fakeServer(clock, () => 1);
    const result = await run(clock, { ledger: false, rate: 5, send: (key) => (keys.push(key), server.send(key)) });
    expect(keys).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(result.ledger).toEqual([]);
  });

  it('ticks once a second with the figures so far and the last second’s', async () => {
    const clock = fakeClock();
    const server = fakeServer(clock, (i) => (i < 50 ? 2 : 8));
    const ticks: LoadSnapshot[] = [];
    await run(clock, { send: server.send, rate: 50, durationMs: 3000, onTick: (s) => ticks.push(s) });
    expect(ticks.map((t) => t.elapsedMs)).toEqual([1000, 2000, 3000]);
    expect(ticks.map((t) => t.scheduled)).toEqual([50, 100, 150]);
    expect(ticks[0]).toMatchObject({ targetRate: 50, ok: 50, dropped: 0, errors: 0, achievedRate: 50, p99: 2, inFlight: 0, draining: false });
    expect(ticks[1]).toMatchObject({ ok: 100, achievedRate: 50, p99: expect.closeTo(8, 1), max: 8 });
  });

  it('stops on abort, lets answers finish for a grace period, then abandons them as unknown', async () => {
    const clock = fakeClock();
    const server = fakeServer(clock, (i) => (i === 0 ? 20 : 60_000));
    const controller = new AbortController();
    clock.after(350, () => controller.abort());
    const result = await run(clock, { send: server.send, rate: 10, durationMs: 10_000, signal: controller.signal, abandon: server.abandon });
    expect(result).toMatchObject({ interrupted: true, durationMs: 350, scheduled: 4, sent: 4, ok: 1, dropped: 0, errorsByStatus: { 'error:abandoned': 3 } });
    expect(result.ledger.map((e) => e.outcome)).toEqual(['accepted', 'unknown', 'unknown', 'unknown']);
    expect(result.ledger[3]!.finishedAt).toBeCloseTo(350 + STOP_GRACE_MS, 6);
    expect(result.timeline).toHaveLength(1);
  });

  it('counts a sender that throws as an error without an answer', async () => {
    const clock = fakeClock();
    const result = await run(clock, {
      rate: 2,
      send: () => {
        throw Object.assign(new Error('boom'), { code: 'EBOOM' });
      },
    });
    expect(result).toMatchObject({ sent: 2, completed: 0, ok: 0, errorsByStatus: { 'error:EBOOM': 2 } });
    expect(result.ledger.map((e) => e.outcome)).toEqual(['unknown', 'unknown']);
  });
});
