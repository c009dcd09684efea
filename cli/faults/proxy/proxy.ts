/**
 * One named proxy: a listening socket on `listen` whose every client gets its own connection to
 * `upstream`, and the toxics applied to those connections. Disabling closes the listening socket
 * (new clients are refused) and drops every open connection at once, as Toxiproxy does.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ApiError } from './api-error.js';
import { formatAddress, parseAddress, type Address } from './address.js';
import { messageOf } from '../../lib/errors.js';
import { openConnection, type ByteCounts, type Connection } from './connection.js';
import { createToxicCollection, toxicJson, type ToxicRecord } from './toxic-collection.js';
import type { Logger } from './logger.js';
import type { ProxyJson, Stream } from '../types.js';

export interface ProxyStats {
  enabled: boolean;
  /** Open client connections. */
  connections: number;
  /** Client connections accepted since the proxy was created. */
  accepted: number;
  toxics: number;
  bytes: Record<Stream, ByteCounts>;
}

export interface ProxyChange {
  listen?: string;
  upstream?: string;
  enabled?: boolean;
}

export interface Proxy {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  toJSON(): ProxyJson;
  /** Listens (again); a no-op when enabled. Throws ListenFailed. */
  start(): Promise<void>;
  /** Stops listening and drops every connection; a no-op when disabled. */
  stop(): Promise<void>;
  /** Applies `POST /proxies/{name}`: a new address restarts the proxy. */
  update(change: ProxyChange): Promise<void>;
  toxics(): readonly ToxicRecord[];
  getToxic(name: string): ToxicRecord;
  /** These resolve once every open connection has the change (a reset_peer counting down delays it). */
  addToxic(body: unknown): Promise<ToxicRecord>;
  updateToxic(name: string, body: unknown): Promise<ToxicRecord>;
  removeToxic(name: string): Promise<void>;
  removeAllToxics(): Promise<void>;
  stats(): ProxyStats;
}

/**
 * Makes a proxy, not yet listening; `start()` it. As in Toxiproxy, the upstream is only checked
 * when a client connects (a bad one closes the client), and the listen address when listening.
 */
export function createProxy(config: { name: string; listen: string; upstream: string }, logger: Logger): Proxy {
  const { name } = config;
  let listen = config.listen;
  let upstream = config.upstream;

  const toxics = createToxicCollection();
  const connections = new Set<Connection>();
  const closedBytes = { upstream: { received: 0, sent: 0 }, downstream: { received: 0, sent: 0 } };
  let server: Server | undefined;
  let accepted = 0;

  const accept = (client: Socket): void => {
    accepted++;
    let upstreamAddress: Address;
    try {
      upstreamAddress = parseAddress(upstream);
    } catch (error) {
      logger.warn({ proxy: name, upstream, err: messageOf(error) }, 'cannot connect to the upstream');
      client.destroy();
      return;
    }
    const connection = openConnection({
      client,
      upstream: upstreamAddress,
      toxics: toxics.list(),
      onError(side, error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (side === 'upstream' && code === 'ECONNREFUSED') logger.warn({ proxy: name, upstream }, 'upstream refused the connection');
        else logger.debug({ proxy: name, side, code, err: error.message }, 'connection error');
      },
      onClose(closed) {
        connections.delete(closed);
        addBytes(closedBytes, closed.bytes());
      },
    });
    connections.add(connection);
  };

  // Every open connection at once, as Toxiproxy changes its links side by side.
  const forEachLink = async (direction: Stream, act: (link: Connection['links'][Stream]) => Promise<void>): Promise<void> => {
    await Promise.all([...connections].map((connection) => act(connection.links[direction])));
  };

  const proxy: Proxy = {
    name,
    get listen() {
      return listen;
    },
    get upstream() {
      return upstream;
    },
    get enabled() {
      return server !== undefined;
    },
    toJSON: () => ({
      name,
      listen,
      upstream,
      enabled: proxy.enabled,
      toxics: toxics.list().map(toxicJson),
    }),

    async start() {
      if (server) return;
      const address = listenAddress(listen);
      const candidate = createServer({ allowHalfOpen: true }, accept);
      try {
        await new Promise<void>((resolve, reject) => {
          candidate.once('error', reject);
          candidate.listen({ host: address.host || undefined, port: address.port }, resolve);
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        throw new ApiError('ListenFailed', `listen tcp ${listen}: ${GO_BIND_ERRORS[code] ?? messageOf(error)}`);
      }
      candidate.on('error', (error) => logger.error({ proxy: name, err: error.message }, 'proxy listener failed'));
      server = candidate;
      listen = formatAddress(candidate.address() as AddressInfo); // port 0 becomes the real port
      logger.info({ proxy: name, listen, upstream }, 'proxy started');
    },

    async stop() {
      const stopping = server;
      if (!stopping) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => stopping.close(() => resolve()));
      for (const connection of connections) connection.destroy();
      await closed;
      logger.info({ proxy: name, listen }, 'proxy stopped');
    },

    async update(change) {
      const nextListen = change.listen ?? listen;
      const nextUpstream = change.upstream ?? upstream;
      listenAddress(nextListen, '');
      if (nextListen !== listen || nextUpstream !== upstream) {
        const wasEnabled = proxy.enabled;
        await proxy.stop();
        listen = nextListen;
        upstream = nextUpstream;
        if (wasEnabled && change.enabled !== false) await proxy.start();
      }
      if (change.enabled === true) await proxy.start();
      if (change.enabled === false) await proxy.stop();
    },

    toxics: () => toxics.list(),
    getToxic: (toxicName) => toxics.get(toxicName),
    async addToxic(body) {
      const toxic = toxics.add(body);
      await forEachLink(toxic.direction, (link) => link.add(toxic));
      return toxic;
    },
    async updateToxic(toxicName, body) {
      const toxic = toxics.update(toxicName, body);
      await forEachLink(toxic.direction, (link) => link.update(toxic));
      return toxic;
    },
    async removeToxic(toxicName) {
      const toxic = toxics.remove(toxicName);
      await forEachLink(toxic.direction, (link) => link.remove(toxic));
    },
    // One at a time, in the order they were added, as Toxiproxy's reset.
    async removeAllToxics() {
      for (const toxic of toxics.clear()) await forEachLink(toxic.direction, (link) => link.remove(toxic));
    },

    stats() {
      const bytes = structuredClone(closedBytes);
      for (const connection of connections) addBytes(bytes, connection.bytes());
      return { enabled: proxy.enabled, connections: connections.size, accepted, toxics: toxics.list().length, bytes };
    },
  };
  return proxy;
}

// How Go words the listen errors a user meets.
const GO_BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: 'bind: address already in use',
  EADDRNOTAVAIL: 'bind: cannot assign requested address',
  EACCES: 'bind: permission denied',
};

// Where to listen, or a ListenFailed (500) in Go's words, as Toxiproxy answers a bad address.
function listenAddress(text: string, prefix = 'listen tcp: '): Address {
  try {
    return parseAddress(text);
  } catch (error) {
    throw new ApiError('ListenFailed', `${prefix}${messageOf(error)}`);
  }
}

function addBytes(into: Record<Stream, ByteCounts>, from: Record<Stream, ByteCounts>): void {
  for (const stream of ['upstream', 'downstream'] as const) {
    into[stream].received += from[stream].received;
    into[stream].sent += from[stream].sent;
  }
}
