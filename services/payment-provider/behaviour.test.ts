import { describe, expect, it } from 'vitest';
import { decide, toBehaviour } from './behaviour.js';

/** A random source that returns these values in turn. */
const draws =
  (...values: number[]) =>
  () => {
    const next = values.shift();
    if (next === undefined) throw new Error('no more random draws');
    return next;
  };

describe('provider behaviour', () => {
  it('fills in defaults and drops fields that do not apply to the mode', () => {
    expect(toBehaviour({ mode: 'decline' })).toEqual({ mode: 'decline', rate: 1 });
    expect(toBehaviour({ mode: 'errors', rate: 0.25, latencyMs: 10 })).toEqual({ mode: 'errors', rate: 0.25 });
    expect(toBehaviour({ mode: 'slow' })).toEqual({ mode: 'slow', latencyMs: 3000 });
    expect(toBehaviour({ mode: 'slow', latencyMs: 50, rate: 0.5 })).toEqual({ mode: 'slow', latencyMs: 50 });
    expect(toBehaviour({ mode: 'ok', rate: 1 })).toEqual({ mode: 'ok' });
    expect(toBehaviour({ mode: 'down' })).toEqual({ mode: 'down' });
  });

  it('charges at once when ok, and always declines the test method', () => {
    expect(decide({ mode: 'ok' }, 'card')).toEqual({ action: 'charge', declineReason: null, delayMs: 0 });
    expect(decide({ mode: 'ok' }, 'card-declined')).toEqual({ action: 'charge', declineReason: 'card-declined', delayMs: 0 });
  });

  it('declines the given fraction of charges in decline mode', () => {
    expect(decide({ mode: 'decline', rate: 0.3 }, 'card', draws(0.29))).toMatchObject({ action: 'charge', declineReason: 'insufficient-funds' });
    expect(decide({ mode: 'decline', rate: 0.3 }, 'card', draws(0.3))).toMatchObject({ action: 'charge', declineReason: null });
    expect(decide({ mode: 'decline', rate: 0 }, 'card', draws(0))).toMatchObject({ declineReason: null });
  });

  it('fails the given fraction of calls with 500 or 503 in errors mode, charging nothing', () => {
    expect(decide({ mode: 'errors', rate: 0.5 }, 'card', draws(0.1, 0.2))).toEqual({ action: 'fail', status: 500 });
    expect(decide({ mode: 'errors', rate: 0.5 }, 'card', draws(0.1, 0.7))).toEqual({ action: 'fail', status: 503 });
    expect(decide({ mode: 'errors', rate: 0.5 }, 'card', draws(0.6))).toEqual({ action: 'charge', declineReason: null, delayMs: 0 });
    // A failure comes before any decision about the card.
    expect(decide({ mode: 'errors', rate: 1 }, 'card-declined', draws(0.99, 0))).toEqual({ action: 'fail', status: 500 });
  });

  it('charges first and answers late in slow mode', () => {
    expect(decide({ mode: 'slow', latencyMs: 2500 }, 'card')).toEqual({ action: 'charge', declineReason: null, delayMs: 2500 });
    expect(decide({ mode: 'slow', latencyMs: 2500 }, 'card-declined')).toEqual({ action: 'charge', declineReason: 'card-declined', delayMs: 2500 });
  });

  it('answers 503 to every call when down', () => {
    expect(decide({ mode: 'down' }, 'card')).toEqual({ action: 'fail', status: 503 });
    expect(decide({ mode: 'down' }, 'card-declined')).toEqual({ action: 'fail', status: 503 });
  });
});
