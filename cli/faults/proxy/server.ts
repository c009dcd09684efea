/**
 * The built-in fault proxy: the Toxiproxy HTTP API on one port, and a TCP proxy per configured
 * link. `startFaultProxy` returns a started server that `close()`s, or disposes with `await using`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError, messageOf } from '../../lib/errors.js';
import { ApiError } from './api-error.js';
import { createProxyCollection } from './collection.js';
import { silentLogger, type Logger } from './logger.js';
import { createRouter, type Reply } from './routes.js';
import type { ProxyConfig } from '../types.js';

export interface FaultProxyOptions {
  /** Interface the API listens on; 127.0.0.1 unless asked otherwise. */
  host?: string;
  /** API port; 0 picks a free one (read it back from `port`). */
  port: number;
  /** Proxies to create before the API answers, as `POST /populate` would. */
  proxies?: ProxyConfig[];
  logger?: Logger;
}

export interface StartedFaultProxy extends AsyncDisposable {
  /** The API's base URL, e.g. http://127.0.0.1:8474. */
  readonly url: string;
  readonly port: number;
  /** Stops the API and every proxy, dropping their connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;

/** Starts the fault API and the proxies it was given. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<StartedFaultProxy> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const proxies = createProxyCollection(logger);
  const router = createRouter(proxies);

  // One change at a time, as Toxiproxy's locks do: a disable must not interleave with an enable.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  const http = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      logger.error({ err: messageOf(error) }, 'fault API could not answer');
      response.destroy();
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    let path = request.url ?? '/';
    let reply: Reply;
    try {
      path = new URL(path, 'http://fault-proxy').pathname;
      // Toxiproxy's guard against web pages driving the API through a browser (CSRF).
      if (request.headers['user-agent']?.startsWith('Mozilla/')) throw new ApiError('BrowserNotAllowed');
      const body = await readJson(request);
      reply = await serialized(() => router.handle(method, path, body));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('Internal', messageOf(error));
      if (apiError.code === 'Internal') logger.error({ method, path, err: messageOf(error) }, 'fault API request failed');
      // A refused body may still be arriving; do not read it just to keep the connection.
      if (apiError.code === 'BodyTooLarge') response.shouldKeepAlive = false;
      reply = { status: apiError.status, body: apiError.toJSON() };
    }
    logger.debug({ method, path, status: reply.status }, 'fault API request');
    send(response, reply);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ host, port: options.port }, resolve);
    });
  } catch (error) {
    throw new LabError(`the fault API cannot listen on ${host}:${options.port}: ${messageOf(error)}`, {
      hint: 'stop what uses that port, or pick another with --port',
      cause: error,
    });
  }
  http.on('error', (error) => logger.error({ err: error.message }, 'fault API server error'));
  const port = (http.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await proxies.stopAll();
      await closed;
    })());

  if (options.proxies && options.proxies.length > 0) {
    try {
      await proxies.populate(options.proxies);
    } catch (error) {
      await close();
      throw new LabError(`the fault proxy cannot create its proxies: ${messageOf(error)}`, {
        hint: 'check the proxy list (names, listen and upstream addresses, ports in use)',
        cause: error,
      });
    }
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { url, port, close, [Symbol.asyncDispose]: close };
}

// Bodies are read whole, up to 16 KiB; an empty body is `undefined`. Listeners rather than
// `for await`, because leaving that loop early destroys the socket before the 413 can be sent.
function readJson(request: IncomingMessage): Promise<unknown> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(new ApiError('BodyTooLarge'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else reject(new ApiError('BodyTooLarge'));
    });
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new ApiError('BadRequestBody', messageOf(error)));
      }
    });
  });
}

function send(response: ServerResponse, { status, body, contentType }: Reply): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': contentType ?? 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}
