/** limit_data: the first `bytes` bytes get through, then the connection is closed. */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const limitData = defineToxic({
  attributes: z.object({ bytes: z.number().int().min(0).default(0) }),
  create({ bytes }, out) {
    let left = bytes;
    let closed = false;
    return {
      write(chunk) {
        if (closed) return;
        if (chunk.length < left) {
          left -= chunk.length;
          out.push(chunk);
          return;
        }
        if (left > 0) out.push(chunk.subarray(0, left));
        closed = true;
        out.close();
      },
      end: () => out.end(),
      flush: () => {},
    };
  },
});
