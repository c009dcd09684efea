/**
 * bandwidth: at most `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy) go through. As in Toxiproxy, a
 * chunk leaves once the simulated wire has carried it, a big one in slices of 100 ms worth: 500
 * bytes at 1 KB/s arrive 100 bytes at a time, the first after 100 ms. Restarted (updated, or a
 * toxic added after it), the chunk it is sending goes at once and the new rate applies from then
 * on. Rate 0 holds every byte, and the end of the stream behind them, until then: Toxiproxy
 * 2.12.0's loop never lets a chunk out at 0, whatever its documentation says ("no limit").
 *
 * A negative rate is refused (400), where Toxiproxy 2.12.0 accepts it and then crashes on the
 * first chunk.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

const SLICE_MS = 100;

export const bandwidth = defineToxic({
  attributes: z.object({ rate: z.number().int().min(0).default(0) }),
  create(attributes, out) {
    let rate = attributes.rate; // KB/s is bytes per millisecond
    const queue: Buffer[] = []; // the head may be partly sent
    let freeAt = 0; // when the wire has carried everything sent so far
    let endHeld = false;
    let timer: NodeJS.Timeout | undefined;

    const passEnd = (): void => {
      if (endHeld) out.end();
      endHeld = false;
    };
    function pump(): void {
      timer = undefined;
      while (queue.length > 0) {
        if (rate <= 0) return; // held until the toxic is updated or removed
        const head = queue[0]!;
        const size = Math.min(head.length, rate * SLICE_MS);
        const carriedAt = freeAt + size / rate;
        const now = performance.now();
        if (carriedAt > now) {
          timer = setTimeout(pump, carriedAt - now);
          return;
        }
        // freeAt moves by what was sent, not by the clock, so a late timer is caught up, not lost.
        freeAt = carriedAt;
        if (size === head.length) queue.shift();
        else queue[0] = head.subarray(size);
        out.push(head.subarray(0, size));
      }
      passEnd();
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
      restart(next) {
        rate = next.rate;
        clearTimeout(timer);
        timer = undefined;
        const sending = queue.shift();
        if (sending) out.push(sending);
        freeAt = performance.now();
        pump();
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
