/**
 * One named proxy: a listening socket on `listen` whose every client gets its own connection to
 * `upstream`, and the toxics applied to those connections. Disabling closes the listening socket
 * (new clients are refused) and drops every open connection at once, as Toxiproxy does.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ApiError } from './api-error.js';
import { formatAddress, parseAddress } from './address.js';
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
  addToxic(body: unknown): ToxicRecord;
  updateToxic(name: string, body: unknown): ToxicRecord;
  removeToxic(name: string): void;
  removeAllToxics(): void;
  stats(): ProxyStats;
}

/** Makes a proxy, not yet listening; `start()` it. Throws a 400 ApiError for a bad address. */
export function createProxy(config: { name: string; listen: string; upstream: string }, logger: Logger): Proxy {
  const { name } = config;
  let listen = config.listen;
  let upstream = config.upstream;
  let upstreamAddress = parseAddress(upstream, 'upstream');
  parseAddress(listen, 'listen');

  const toxics = createToxicCollection();
  const connections = new Set<Connection>();
  const closedBytes = { upstream: { received: 0, sent: 0 }, downstream: { received: 0, sent: 0 } };
  let server: Server | undefined;
  let accepted = 0;

  const accept = (client: Socket): void => {
    accepted++;
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

  const forEachLink = (stream: Stream, act: (link: Connection['links'][Stream]) => void): void => {
    for (const connection of connections) act(connection.links[stream]);
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
      const address = parseAddress(listen, 'listen');
      const candidate = createServer({ allowHalfOpen: true }, accept);
      try {
        await new Promise<void>((resolve, reject) => {
          candidate.once('error', reject);
          candidate.listen({ host: address.host || undefined, port: address.port }, resolve);
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new ApiError('ListenFailed', `listen tcp ${listen}: ${code}`);
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
      parseAddress(nextListen, 'listen');
      const nextUpstreamAddress = parseAddress(nextUpstream, 'upstream');
      if (nextListen !== listen || nextUpstream !== upstream) {
        const wasEnabled = proxy.enabled;
        await proxy.stop();
        listen = nextListen;
        upstream = nextUpstream;
        upstreamAddress = nextUpstreamAddress;
        if (wasEnabled && change.enabled !== false) await proxy.start();
      }
      if (change.enabled === true) await proxy.start();
      if (change.enabled === false) await proxy.stop();
    },

    toxics: () => toxics.list(),
    getToxic: (toxicName) => toxics.get(toxicName),
    addToxic(body) {
      const toxic = toxics.add(body);
      forEachLink(toxic.stream, (link) => link.add(toxic));
      return toxic;
    },
    updateToxic(toxicName, body) {
      const toxic = toxics.update(toxicName, body);
      forEachLink(toxic.stream, (link) => link.replace(toxic));
      return toxic;
    },
    removeToxic(toxicName) {
      const toxic = toxics.remove(toxicName);
      forEachLink(toxic.stream, (link) => link.remove(toxic.name));
    },
    removeAllToxics() {
      for (const toxic of toxics.clear()) forEachLink(toxic.stream, (link) => link.remove(toxic.name));
    },

    stats() {
      const bytes = structuredClone(closedBytes);
      for (const connection of connections) addBytes(bytes, connection.bytes());
      return { enabled: proxy.enabled, connections: connections.size, accepted, toxics: toxics.list().length, bytes };
    },
  };
  return proxy;
}

function addBytes(into: Record<Stream, ByteCounts>, from: Record<Stream, ByteCounts>): void {
  for (const stream of ['upstream', 'downstream'] as const) {
    into[stream].received += from[stream].received;
    into[stream].sent += from[stream].sent;
  }
}
