/**
 * limit_data: the first `bytes` bytes get through, then the connection is closed. The count
 * belongs to the connection: updating the limit keeps what was already sent, as Toxiproxy keeps
 * it in the connection's toxic state, and a limit already reached closes at the next chunk.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const limitData = defineToxic({
  attributes: z.object({ bytes: z.number().int().default(0) }),
  create(attributes, out) {
    let limit = attributes.bytes;
    let sent = 0;
    return {
      write(chunk) {
        const allowed = chunk.subarray(0, Math.max(0, limit - sent));
        if (allowed.length > 0) out.push(allowed);
        if (allowed.length < chunk.length) out.drop(chunk.subarray(allowed.length));
        sent += allowed.length;
        if (sent >= limit) out.end();
      },
      end: () => out.end(),
      restart(next) {
        limit = next.bytes;
      },
      flush: () => {},
    };
  },
});
