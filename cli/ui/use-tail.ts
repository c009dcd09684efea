/**
 * Drives the live tail: drains the feed a few times a second, formats the new records into
 * one batch for <Static>, keeps the footer's figures, and ends the app once the feed is
 * closed and everything in it is shown.
 */
import { useApp } from 'ink';
import { useEffect, useState } from 'react';
import { byRecordTime, createTailStats, type EventFeed, type TailFigures, type WatchedRecord } from '../watch/index.js';

export interface TailBatch {
  /** Grows with each batch: a new <Static> per batch, so nothing shown is kept in React state. */
  id: number;
  lines: string[];
}

export interface TailState {
  batch: TailBatch;
  figures: TailFigures;
  caughtUp: boolean;
  done: boolean;
}

export function useTail(feed: EventFeed, format: (record: WatchedRecord) => string, flushMs = 100): TailState {
  const { exit } = useApp();
  const [stats] = useState(() => createTailStats());
  const [state, setState] = useState<TailState>(() => ({ batch: { id: 0, lines: [] }, figures: stats.figures(), caughtUp: feed.caughtUp, done: false }));

  useEffect(() => {
    let figuresAt = 0;
    let caughtUp = feed.caughtUp;
    const flush = () => {
      // Topics are fetched separately: within a batch, put the records back in time order.
      const records = feed.drain().sort(byRecordTime);
      const now = Date.now();
      for (const record of records) stats.add(record, now);
      const done = feed.closed;
      // The rate changes even when nothing arrives: refresh the footer each second regardless.
      if (records.length === 0 && !done && now - figuresAt < 1000 && feed.caughtUp === caughtUp) return;
      figuresAt = now;
      caughtUp = feed.caughtUp;
      setState((previous) => ({
        batch: records.length > 0 ? { id: previous.batch.id + 1, lines: records.map(format) } : previous.batch,
        figures: stats.figures(now),
        caughtUp,
        done,
      }));
      if (done) clearInterval(timer);
    };
    const timer = setInterval(flush, flushMs);
    return () => clearInterval(timer);
    // The feed and the formatter are fixed for the life of the view.
  }, [feed]);

  // Leave after the last batch has been rendered.
  useEffect(() => {
    if (state.done) exit();
  }, [state.done, exit]);

  return state;
}
