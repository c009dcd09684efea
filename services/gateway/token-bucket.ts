/**
 * A token bucket: tokens drip in at `ratePerSecond`, at most `burst` are kept, and each request
 * takes one. Short bursts pass at once while the average rate stays bounded; when the bucket is
 * empty the caller learns how long until the next token (the Retry-After it answers with).
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Tokens the bucket holds when full: the largest burst let through at once (≥ 1). */
  burst: number;
  /** Milliseconds from a monotonic clock. */
  now?: () => number;
}

export interface TokenBucket {
  /** Takes a token: 0 when the request may pass, else the milliseconds until a token is due. */
  take(): number;
}

export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { ratePerSecond, burst } = options;
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be above 0, not ${ratePerSecond}`);
  if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, not ${burst}`);
  const now = options.now ?? (() => performance.now());
  const perMs = ratePerSecond / 1000;
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      // Refilled lazily on each call: no timer, and idle time counts in full.
      tokens = Math.min(burst, tokens + (t - last) * perMs);
      last = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - tokens) / perMs);
    },
  };
}
