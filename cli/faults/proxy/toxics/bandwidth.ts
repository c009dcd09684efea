/**
 * bandwidth: at most `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy) go through; 0 means no limit.
 * Bytes leave in slices of 10 ms worth, so a big chunk trickles out instead of arriving as one
 * late burst.
 */
import { z } from 'zod';
import { defineToxic, passThrough } from './toxic.js';

export const bandwidth = defineToxic({
  attributes: z.object({ rate: z.number().int().min(0).default(0) }),
  create({ rate }, out) {
    if (rate === 0) return passThrough(out);
    const bytesPerMs = rate; // KB/s is bytes per millisecond
    const slice = bytesPerMs * 10;
    const queue: Buffer[] = [];
    let freeAt = 0; // when the simulated wire can take the next slice
    let endHeld = false;
    let timer: NodeJS.Timeout | undefined;

    const take = (): Buffer => {
      const head = queue[0]!;
      if (head.length <= slice) return queue.shift()!;
      queue[0] = head.subarray(slice);
      return head.subarray(0, slice);
    };
    const passEnd = (): void => {
      if (endHeld) out.end();
      endHeld = false;
    };
    function pump(): void {
      timer = undefined;
      const now = performance.now();
      // freeAt only moves forward by what was sent, so a late timer is caught up, not lost.
      while (queue.length > 0 && freeAt <= now) {
        const piece = take();
        freeAt += piece.length / bytesPerMs;
        out.push(piece);
      }
      if (queue.length > 0) timer = setTimeout(pump, freeAt - now);
      else passEnd();
    }

    return {
      write(chunk) {
        queue.push(chunk);
        if (timer) return;
        freeAt = Math.max(freeAt, performance.now()); // an idle wire saves up no credit
        pump();
      },
      end() {
        endHeld = true;
        if (queue.length === 0) passEnd();
      },
      flush() {
        clearTimeout(timer);
        timer = undefined;
        for (const chunk of queue.splice(0)) out.push(chunk);
        passEnd();
      },
    };
  },
});
