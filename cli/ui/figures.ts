/** How the live views write figures: short, fixed-ish width, a dash for "not known". */

const NONE = '—';

/** Seconds as 0.8 ms, 12 ms, 1.25 s. */
export function latency(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return NONE;
  const ms = seconds * 1000;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A rate per second: 0.0, 12.3, 1,204. */
export function rate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return NONE;
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en') : perSecond.toFixed(1);
}

/** A count with thousands separators. */
export function count(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? NONE : Math.round(n).toLocaleString('en');
}

/** Milliseconds as "500 ms", "1 s", "2.5 s", "10 s", "1.5 min". */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000 && ms % 1000 >= 50) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A wall-clock time, HH:MM:SS. */
export function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
