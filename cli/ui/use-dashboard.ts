/**
 * Samples the stack once per interval and keeps the dashboard's figures. The next sample starts
 * when the previous one is done (never two at once, however slow the stack answers).
 */
import { useEffect, useState } from 'react';
import { messageOf } from '../lib/errors.js';
import { createDashboardModel, type DashboardData, type DashboardSource } from '../watch/index.js';

export interface DashboardOptions {
  intervalMs: number;
  /** How far back the latency percentiles look. */
  windowMs: number;
  /** How far back the sparklines go. */
  historyMs?: number;
}

export function useDashboard(source: DashboardSource, { intervalMs, windowMs, historyMs = 60_000 }: DashboardOptions): { data?: DashboardData; error?: string } {
  const [state, setState] = useState<{ data?: DashboardData; error?: string }>({});
  useEffect(() => {
    const model = createDashboardModel({ windowMs, seriesLength: Math.max(2, Math.round(historyMs / intervalMs)) });
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const started = Date.now();
      try {
        const sample = await source.sample();
        if (!stopped) setState({ data: model.add(sample) });
      } catch (error) {
        if (!stopped) setState((previous) => ({ data: previous.data, error: messageOf(error) }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), Math.max(0, intervalMs - (Date.now() - started)));
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [source, intervalMs, windowMs, historyMs]);
  return state;
}
