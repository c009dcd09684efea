/**
 * What the fault proxy's tests share: real TCP servers on 127.0.0.1 port 0, a started fault proxy
 * with one proxy in front of them, and a few measurements a user of a link would make.
 */
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { createFaultClient, type FaultClient } from '../client.js';
import { startFaultProxy, type StartedFaultProxy } from './server.js';
import type { ProxyJson } from '../types.js';

export interface TestServer extends AsyncDisposable {
  readonly port: number;
  /** The server side of every connection accepted so far. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** A TCP server on a free loopback port that hands each connection to `onSocket`. */
export async function startTcpServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  return { port: (server.address() as { port: number }).port, sockets, close, [Symbol.asyncDispose]: close };
}

/** An upstream that sends every byte back, and half-closes when the client does. */
export function startEchoServer(): Promise<TestServer> {
  return startTcpServer((socket) => socket.pipe(socket));
}

export interface TestLink extends AsyncDisposable {
  readonly fault: StartedFaultProxy;
  readonly api: FaultClient;
  /** The proxy as created; `port` is where clients connect. */
  readonly proxy: ProxyJson;
  readonly port: number;
}

/** A fault proxy on a free port, with one proxy named `name` in front of `upstreamPort`. */
export async function startLink(upstreamPort: number, name = 'link'): Promise<TestLink> {
  const fault = await startFaultProxy({ port: 0 });
  const api = createFaultClient(fault.url);
  const proxy = await api.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
  return { fault, api, proxy, port: portOf(proxy.listen), [Symbol.asyncDispose]: () => fault.close() };
}

/** The port of a `host:port` listen address. */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** A connected client socket (errors are observed through `closedBy`, never thrown). */
export async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** Milliseconds from writing `payload` until as many bytes came back. */
export async function roundTrip(socket: Socket, payload: Buffer = Buffer.from('ping')): Promise<number> {
  const started = performance.now();
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received < payload.length) return;
      socket.off('data', onData).off('close', onClose);
      resolve();
    };
    const onClose = (): void => reject(new Error(`connection closed after ${received} of ${payload.length} bytes`));
    socket.on('data', onData).once('close', onClose);
    socket.write(payload);
  });
  return performance.now() - started;
}

export interface Ending {
  /** Every byte received until the end. */
  data: Buffer;
  /** 'end' for a FIN, else the error code ('ECONNRESET' for a reset). */
  how: string;
  /** Milliseconds from the call until the end. */
  ms: number;
}

/** Reads a socket until the peer closes it, and says how it closed. */
export function closedBy(socket: Socket): Promise<Ending> {
  const started = performance.now();
  const chunks: Buffer[] = [];
  let how: string | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.once('end', () => (how ??= 'end'));
  socket.once('error', (error: NodeJS.ErrnoException) => (how ??= error.code ?? error.message));
  return new Promise((resolve) => {
    const done = (): void => resolve({ data: Buffer.concat(chunks), how: how ?? 'close', ms: performance.now() - started });
    socket.once('close', done);
    socket.once('end', done);
  });
}

/** Resolves with the error code of a connection attempt ('ECONNREFUSED'), or 'connected'. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * Sends `payload` to an echo server and collects what comes back: as many bytes, or fewer if the
 * connection closes first. Then closes. The client waits for the echo before closing because a
 * proxy that behaves as Toxiproxy carries no half-closed connection: a client's FIN closes both.
 */
export async function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  const socket = await connectTo(port);
  const chunks: Buffer[] = [];
  let received = 0;
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) resolve();
    });
    socket.once('close', () => resolve());
    socket.write(payload);
  });
  socket.destroy();
  return Buffer.concat(chunks);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
