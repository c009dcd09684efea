/** slow_close: data flows untouched, but the close (FIN) is handed on `delay` ms late. */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const slowClose = defineToxic({
  attributes: z.object({ delay: z.number().int().min(0).default(0) }),
  create({ delay }, out) {
    let timer: NodeJS.Timeout | undefined;
    return {
      write: (chunk) => out.push(chunk),
      end() {
        timer = setTimeout(() => {
          timer = undefined;
          out.end();
        }, delay);
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
