/**
 * reset_peer: once data (or the end of the stream) arrives, wait `timeout` ms, then close the
 * connection; nothing gets through meanwhile. The close is a TCP RST ("connection reset by peer")
 * on both sides for connections opened while the toxic was on the proxy, because Toxiproxy sets
 * SO_LINGER 0 on their sockets when they open — and keeps it after the toxic is gone, so every
 * later close of such a connection is a reset too. A connection the toxic joins later gets a plain
 * close (FIN). Once counting down nothing stops it: removing or changing the toxic waits for the
 * close, as in Toxiproxy.
 */
import { z } from 'zod';
import { defineToxic } from './toxic.js';

export const resetPeer = defineToxic({
  attributes: z.object({ timeout: z.number().int().default(0) }),
  create(attributes, out) {
    let ms = attributes.timeout;
    let closing: Promise<void> | undefined;
    const countdown = (): void => {
      closing ??= new Promise((resolve) =>
        setTimeout(() => {
          out.end();
          resolve();
        }, ms),
      );
    };
    return {
      write: countdown, // the chunk stays held, unread, until the close
      end: countdown,
      restart(next) {
        if (closing) return closing;
        ms = next.timeout;
      },
      flush: () => closing,
    };
  },
  resetsConnections: true,
});
