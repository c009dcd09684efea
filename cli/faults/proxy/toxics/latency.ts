/**
 * latency: every chunk arrives `latency` ms (± `jitter`) after it was read, and never before the
 * chunk ahead of it, as Toxiproxy's one-chunk-at-a-time loop does: chunks already late are not
 * delayed again, so a busy link keeps its throughput. The end of the stream follows the last chunk.
 * Restarted (updated, or a toxic added after it), the chunk it waits on goes at once and the others
 * take the new delay from when they were read.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

const millis = z.number().int().default(0);

export const latency = defineToxic({
  attributes: z.object({ latency: millis, jitter: millis }),
  create(attributes, out) {
    let { latency, jitter } = attributes;
    const queue: { chunk: Buffer; read: number; due: number }[] = [];
    let lastDue = 0;
    let endHeld = false;
    let timer: NodeJS.Timeout | undefined;

    // Whole milliseconds in [latency - jitter, latency + jitter), as Toxiproxy draws them.
    const delay = (): number => latency + (jitter > 0 ? Math.floor(Math.random() * 2 * jitter) - jitter : 0);
    const dueOf = (read: number): number => (lastDue = Math.max(lastDue, read + delay()));
    const schedule = (): void => {
      clearTimeout(timer);
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
        const due = dueOf(now);
        if (due <= now && queue.length === 0) return out.push(chunk); // no delay: no timer
        queue.push({ chunk, read: now, due });
        if (!timer) schedule();
      },
      end() {
        endHeld = true;
        if (queue.length === 0) passEnd();
      },
      restart(next) {
        ({ latency, jitter } = next);
        clearTimeout(timer);
        timer = undefined;
        const waitedOn = queue.shift();
        if (waitedOn) out.push(waitedOn.chunk);
        lastDue = performance.now();
        for (const entry of queue) entry.due = dueOf(entry.read);
        if (queue.length > 0) schedule();
        else passEnd();
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
