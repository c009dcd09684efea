/**
 * Round-robin over a service's instances that passes over an instance which refused a
 * connection recently, so a dead instance costs one refused connect per cool-down rather than
 * one per request. When every instance refused recently, it goes round all of them anyway:
 * the next try is the only way to notice one is back.
 */
export interface RoundRobinOptions {
  /** How long an instance that refused is passed over (ms). */
  cooldownMs?: number;
  now?: () => number;
}

export interface RoundRobin {
  /** The index of the instance whose turn it is. */
  pick(): number;
  /** The instance at `index` refused a connection: pass it over for a while. */
  refused(index: number): void;
  /** The instance at `index` answered: it takes its turns again. */
  answered(index: number): void;
}

export function createRoundRobin(size: number, options: RoundRobinOptions = {}): RoundRobin {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a round-robin needs at least one instance, not ${size}`);
  const cooldownMs = options.cooldownMs ?? 1000;
  const now = options.now ?? Date.now;
  const downUntil = new Array<number>(size).fill(0);
  let down = 0; // instances marked, so that the common case needs no clock
  let cursor = 0;

  const turn = () => {
    const index = cursor;
    cursor = cursor + 1 === size ? 0 : cursor + 1;
    return index;
  };

  return {
    pick() {
      if (down === 0) return turn();
      const t = now();
      for (let tried = 0; tried < size; tried++) {
        const index = turn();
        if (downUntil[index]! <= t) return index;
      }
      return turn();
    },
    refused(index) {
      if (downUntil[index] === 0) down++;
      downUntil[index] = now() + cooldownMs;
    },
    answered(index) {
      if (downUntil[index] === 0) return;
      downUntil[index] = 0;
      down--;
    },
  };
}
