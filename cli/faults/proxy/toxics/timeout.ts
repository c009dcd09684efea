/**
 * timeout: no data gets through, and the connection is closed `timeout` ms after the toxic took
 * hold of it; with 0 it stays open. Held data is delivered if the toxic is removed in time — the
 * "data will be delayed until the toxic is removed" of Toxiproxy's documentation (Toxiproxy's
 * code drops it instead).
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const timeout = defineToxic({
  attributes: z.object({ timeout: z.number().int().min(0).default(0) }),
  create({ timeout }, out) {
    const held: Buffer[] = [];
    let endHeld = false;
    const timer = timeout > 0 ? setTimeout(() => out.close(), timeout) : undefined;
    return {
      write: (chunk) => void held.push(chunk),
      end: () => void (endHeld = true),
      flush() {
        clearTimeout(timer);
        for (const chunk of held.splice(0)) out.push(chunk);
        if (endHeld) out.end();
        endHeld = false;
      },
    };
  },
});
