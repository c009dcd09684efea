/**
 * One accepted client and its own connection to the upstream, joined by two links (one per
 * direction), closed the way Toxiproxy closes them: when one link has handed its end to its
 * socket, that socket is closed whole (no half-close), the other link stops reading it, hands on
 * what its toxics still hold, and then closes the other socket. A socket that fails counts as one
 * that ended. A peer's error never reaches the process.
 */
import { connect, type Socket } from 'node:net';
import { createLink, type Link } from './link.js';
import type { ToxicRecord } from './toxic-collection.js';
import type { Address } from './address.js';
import type { Stream } from '../types.js';

export interface ByteCounts {
  /** Bytes read from the sending side. */
  received: number;
  /** Bytes written to the receiving side. */
  sent: number;
}

export interface Connection {
  readonly links: Readonly<Record<Stream, Link>>;
  bytes(): Record<Stream, ByteCounts>;
  /** Drops both sockets now (proxy disabled or deleted). */
  destroy(): void;
}

export interface ConnectionOptions {
  client: Socket;
  upstream: Address;
  /** The proxy's toxics when the client was accepted, in the order they were added. */
  toxics: readonly ToxicRecord[];
  onError(side: 'client' | 'upstream', error: Error): void;
  onClose(connection: Connection): void;
}

// A peer that stops reading must not keep a gracefully closed socket alive forever.
const CLOSE_GRACE_MS = 2000;

/** Connects a freshly accepted client to the upstream. */
export function openConnection(options: ConnectionOptions): Connection {
  const { client, onError } = options;
  const server = connect({ host: options.upstream.host, port: options.upstream.port, allowHalfOpen: true });
  // Kafka and PostgreSQL send small frames; Nagle's algorithm would add its own latency.
  client.setNoDelay(true);
  server.setNoDelay(true);
  let connected = false;
  server.once('connect', () => (connected = true));

  // Toxiproxy sets SO_LINGER 0 on the sockets of a connection that opens while a reset_peer toxic
  // is on the proxy: every close of it, for good, is then a reset.
  const resets = options.toxics.some((toxic) => toxic.definition.resetsConnections);
  const sockets = [client, server];
  const closing = new Set<Socket>();
  // Go's Close: a FIN after what was written (a RST if the kernel still holds unread bytes), or a
  // RST at once with linger 0.
  const close = (socket: Socket): void => {
    if (socket.destroyed || closing.has(socket)) return;
    closing.add(socket);
    if (resets) return void socket.resetAndDestroy();
    socket.end(() => socket.destroy());
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };

  const toxics = (direction: Stream): ToxicRecord[] => options.toxics.filter((toxic) => toxic.direction === direction);
  const links: Record<Stream, Link> = {
    upstream: createLink(client, server, toxics('upstream'), () => {
      close(server);
      links.downstream.sourceGone();
    }),
    downstream: createLink(server, client, toxics('downstream'), () => {
      close(client);
      links.upstream.sourceGone();
    }),
  };
  const dispose = (): void => {
    links.upstream.dispose();
    links.downstream.dispose();
  };

  const connection: Connection = {
    links,
    bytes: () => ({
      upstream: { received: client.bytesRead, sent: server.bytesWritten },
      downstream: { received: server.bytesRead, sent: client.bytesWritten },
    }),
    destroy() {
      dispose();
      for (const socket of sockets) {
        if (socket.destroyed) continue;
        if (resets) socket.resetAndDestroy();
        else socket.destroy();
      }
    },
  };

  let open = sockets.length;
  for (const socket of sockets) {
    const side = socket === client ? 'client' : 'upstream';
    socket.on('error', (error) => {
      onError(side, error);
      // An upstream that cannot be reached: Toxiproxy closes the client before any link exists.
      if (socket === server && !connected) {
        dispose();
        client.destroy();
      }
    });
    socket.on('close', () => {
      links[socket === client ? 'upstream' : 'downstream'].sourceGone();
      if (--open > 0) return;
      dispose();
      options.onClose(connection);
    });
  }
  return connection;
}
