/**
 * timeout: no data gets through — it is dropped, as in Toxiproxy's code (its documentation says
 * "delayed until the toxic is removed"; 2.12.0 drops it) — and the connection is closed once no
 * chunk has arrived for `timeout` ms: every chunk, and every restart (update, or a toxic added
 * after it), starts the countdown again. With 0 (or less) it never closes on its own. The end of
 * the stream closes the connection at once, and so does removing the toxic, from every
 * connection of its direction, even those its toxicity spared.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const timeout = defineToxic({
  attributes: z.object({ timeout: z.number().int().default(0) }),
  create(attributes, out) {
    let ms = attributes.timeout;
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    const close = (): void => {
      clearTimeout(timer);
      over = true;
      out.end();
    };
    const countdown = (): void => {
      clearTimeout(timer);
      timer = ms > 0 ? setTimeout(close, ms) : undefined;
    };
    countdown();
    return {
      write(chunk) {
        out.drop(chunk);
        if (!over) countdown();
      },
      end: close,
      restart(next) {
        ms = next.timeout;
        if (!over) countdown();
      },
      flush: () => clearTimeout(timer),
    };
  },
  cleanup: (out) => out.end(),
});
