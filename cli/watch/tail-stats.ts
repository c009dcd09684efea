/**
 * The figures of the `tail events` footer: how many events of each type were shown, how many
 * records were not events, and the rate over the last few seconds.
 */
import { EVENT_TYPES } from '../../services/events/index.js';
import type { WatchedRecord } from './event-stream.js';

export interface TailFigures {
  total: number;
  /** Shown events per type, in saga order, only types seen. */
  byType: { type: string; count: number }[];
  invalid: number;
  /** Records per second over the last `windowMs` (or since the start, when shorter). */
  perSecond: number;
}

export function createTailStats(options: { windowMs?: number; startedAt?: number } = {}) {
  const windowMs = options.windowMs ?? 5000;
  const startedAt = options.startedAt ?? Date.now();
  const counts = new Map<string, number>();
  let invalid = 0;
  let total = 0;
  // Arrivals per whole second, newest last: cheap at thousands of events a second.
  const seconds: { second: number; count: number }[] = [];

  return {
    add(record: WatchedRecord, now = Date.now()): void {
      total++;
      if (record.event) counts.set(record.event.type, (counts.get(record.event.type) ?? 0) + 1);
      else invalid++;
      const second = Math.floor(now / 1000);
      const last = seconds.at(-1);
      if (last && last.second === second) last.count++;
      else seconds.push({ second, count: 1 });
      while (seconds.length > 0 && seconds[0]!.second * 1000 < now - windowMs - 1000) seconds.shift();
    },

    figures(now = Date.now()): TailFigures {
      // Whole seconds that start inside the window, up to now (the current one only partly elapsed).
      const from = Math.ceil((now - windowMs) / 1000) * 1000;
      const recent = seconds.filter((s) => s.second * 1000 >= from).reduce((sum, s) => sum + s.count, 0);
      // At least a second, so the first few events do not read as a burst of hundreds a second.
      const span = Math.max(1000, now - Math.max(from, startedAt));
      const known = new Set<string>(EVENT_TYPES);
      const byType = [...EVENT_TYPES.filter((t) => counts.has(t)), ...[...counts.keys()].filter((t) => !known.has(t))].map((type) => ({ type, count: counts.get(type)! }));
      return { total, byType, invalid, perSecond: (recent * 1000) / span };
    },
  };
}

export type TailStats = ReturnType<typeof createTailStats>;
