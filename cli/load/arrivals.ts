/**
 * When each request of an open-model load is due. Request i is due when the offered load,
 * integrated from the start, reaches i: at a constant rate r that is i/r; for steps and ramps
 * the integral is followed piece by piece. Times come from the plan, never from how late a timer
 * fired, so the schedule cannot drift.
 */
import { UsageError } from '../lib/errors.js';

/** From `atMs` on (until the next step), offer `rate` requests per second. */
export interface RateStep {
  atMs: number;
  rate: number;
}

/** Steps (rate 0 before the first one), or a function elapsedMs → requests per second for ramps. */
export type RateProfile = readonly RateStep[] | ((elapsedMs: number) => number);

/** A ramp given as a function is integrated in slices this long, at its rate mid-slice. */
const RAMP_SLICE_MS = 1;

/** A stretch of time over which the rate does not change: [start, end). */
interface Segment {
  rate: number;
  end: number;
}

/** Checks a rate or profile once, up front, and returns steps sorted by time. */
export function checkRate(rate: number | RateProfile): number | RateProfile {
  if (typeof rate === 'number') {
    if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`the rate must be a number of requests per second above 0, not ${rate}`);
    return rate;
  }
  if (typeof rate === 'function') return rate;
  if (rate.length === 0) throw new UsageError('a rate profile needs at least one step');
  for (const step of rate) {
    if (!Number.isFinite(step.atMs) || step.atMs < 0 || !Number.isFinite(step.rate) || step.rate < 0) {
      throw new UsageError(`a rate step needs atMs ≥ 0 and rate ≥ 0, not ${JSON.stringify(step)}`);
    }
  }
  return [...rate].sort((a, b) => a.atMs - b.atMs);
}

/** The rate asked for at `elapsedMs` (requests per second). */
export function rateAt(rate: number | RateProfile, elapsedMs: number): number {
  if (typeof rate === 'number') return rate;
  if (typeof rate === 'function') return usable(rate(elapsedMs));
  let current = 0;
  for (const step of rate) if (step.atMs <= elapsedMs) current = step.rate;
  return current;
}

/** A profile's function may answer anything; a rate that is not a positive number offers nothing. */
const usable = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0);

function segmentAt(rate: number | RateProfile, t: number): Segment {
  if (typeof rate === 'number') return { rate, end: Infinity };
  if (typeof rate === 'function') {
    const start = Math.floor(t / RAMP_SLICE_MS) * RAMP_SLICE_MS;
    return { rate: usable(rate(start + RAMP_SLICE_MS / 2)), end: start + RAMP_SLICE_MS };
  }
  const next = rate.find((step) => step.atMs > t);
  return { rate: rateAt(rate, t), end: next?.atMs ?? Infinity };
}

/** Requests the profile offers in [0, untilMs): the integral of the rate. */
export function offeredRequests(rate: number | RateProfile, untilMs: number): number {
  let t = 0;
  let mass = 0;
  while (t < untilMs) {
    const segment = segmentAt(rate, t);
    const end = Math.min(segment.end, untilMs);
    mass += (segment.rate * (end - t)) / 1000;
    t = end;
  }
  return mass;
}

export interface Arrivals {
  /** Milliseconds from the start at which the next request is due, or undefined when the run is over. */
  next(): number | undefined;
}

/** The due times of every request in a run of `durationMs`, in order. */
export function createArrivals(rate: number | RateProfile, durationMs: number): Arrivals {
  let index = 0;
  let start = 0; // of the current segment
  let massAtStart = 0; // requests offered before it
  let segment = segmentAt(rate, 0);
  return {
    next() {
      for (;;) {
        if (start >= durationMs) return undefined;
        if (segment.rate > 0) {
          // Computed from the segment's start, not by adding intervals, so rounding cannot pile up.
          const due = Math.max(start, start + ((index - massAtStart) * 1000) / segment.rate);
          if (due < segment.end) {
            // Summing many ramp slices leaves rounding dust: a request due a nanosecond before the end is due at the end.
            if (due >= durationMs - 1e-6) return undefined;
            index++;
            return due;
          }
        }
        if (segment.end === Infinity) return undefined;
        massAtStart += (segment.rate * (segment.end - start)) / 1000;
        start = segment.end;
        segment = segmentAt(rate, start);
      }
    },
  };
}
