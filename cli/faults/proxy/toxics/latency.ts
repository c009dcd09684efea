/**
 * latency: every chunk arrives `latency` ms (± `jitter`) after it was sent. Chunks are delayed
 * side by side, not one after another, so a busy link keeps its throughput; a chunk never
 * overtakes an earlier one, whatever the jitter says.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

const millis = z.number().int().min(0).default(0);

export const latency = defineToxic({
  attributes: z.object({ latency: millis, jitter: millis }),
  create({ latency, jitter }, out) {
    const queue: { chunk: Buffer; due: number }[] = [];
    let lastDue = 0;
    let endHeld = false;
    let timer: NodeJS.Timeout | undefined;

    const delay = (): number => Math.max(0, latency + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0));
    const schedule = (): void => {
      timer = setTimeout(release, queue[0]!.due - performance.now());
    };
    const passEnd = (): void => {
      if (endHeld) out.end();
      endHeld = false;
    };
    function release(): void {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) out.push(queue.shift()!.chunk);
      if (queue.length > 0) schedule();
      else passEnd();
    }

    return {
      write(chunk) {
        const now = performance.now();
        lastDue = Math.max(lastDue, now + delay());
        if (lastDue <= now && queue.length === 0) return out.push(chunk); // no delay: no timer
        queue.push({ chunk, due: lastDue });
        if (!timer) schedule();
      },
      end() {
        endHeld = true;
        if (queue.length === 0) passEnd();
      },
      flush() {
        clearTimeout(timer);
        timer = undefined;
        for (const { chunk } of queue.splice(0)) out.push(chunk);
        passEnd();
      },
    };
  },
});
