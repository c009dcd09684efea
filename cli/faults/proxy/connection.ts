/**
 * One accepted client and its own connection to the upstream, joined by two links (one per
 * direction). A socket error on either side ends both: a proxy never outlives what it joins,
 * and never lets a peer's error reach the process.
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

  const sockets = [client, server];
  const dispose = (): void => {
    connection.links.upstream.dispose();
    connection.links.downstream.dispose();
  };
  const control = {
    close() {
      dispose();
      for (const socket of sockets) {
        socket.end(() => socket.destroy());
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      }
    },
    reset() {
      dispose();
      for (const socket of sockets) socket.resetAndDestroy();
    },
  };

  const connection: Connection = {
    links: { upstream: createLink(client, server, control), downstream: createLink(server, client, control) },
    bytes: () => ({
      upstream: { received: client.bytesRead, sent: server.bytesWritten },
      downstream: { received: server.bytesRead, sent: client.bytesWritten },
    }),
    destroy() {
      dispose();
      for (const socket of sockets) socket.destroy();
    },
  };
  for (const toxic of options.toxics) connection.links[toxic.stream].add(toxic);

  let open = sockets.length;
  for (const socket of sockets) {
    const side = socket === client ? 'client' : 'upstream';
    socket.on('error', (error) => {
      onError(side, error);
      connection.destroy();
    });
    socket.on('close', () => {
      if (--open > 0) return;
      dispose();
      options.onClose(connection);
    });
  }
  return connection;
}
