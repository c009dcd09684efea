/**
 * reset_peer: once data (or a close) arrives, wait `timeout` ms, then abort the connection with a
 * TCP RST: both sides see "connection reset by peer". Nothing gets through meanwhile.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const resetPeer = defineToxic({
  attributes: z.object({ timeout: z.number().int().min(0).default(0) }),
  create({ timeout }, out) {
    const held: Buffer[] = [];
    let endHeld = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer ??= setTimeout(() => out.reset(), timeout);
    };
    return {
      write(chunk) {
        held.push(chunk);
        arm();
      },
      end() {
        endHeld = true;
        arm();
      },
      flush() {
        clearTimeout(timer);
        for (const chunk of held.splice(0)) out.push(chunk);
        if (endHeld) out.end();
        endHeld = false;
      },
    };
  },
});
