/**
 * slow_close: data flows untouched, but the end of the stream (and so the close of the
 * connection) is handed on `delay` ms late. Restarted while it waits (updated, or a toxic added
 * after it), it waits the whole delay again, as Toxiproxy does.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const slowClose = defineToxic({
  attributes: z.object({ delay: z.number().int().default(0) }),
  create(attributes, out) {
    let { delay } = attributes;
    let timer: NodeJS.Timeout | undefined;
    const wait = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        out.end();
      }, delay);
    };
    return {
      write: (chunk) => out.push(chunk),
      end: wait,
      restart(next) {
        ({ delay } = next);
        if (timer) wait();
      },
      flush() {
        if (!timer) return;
        clearTimeout(timer);
        timer = undefined;
        out.end();
      },
    };
  },
});
