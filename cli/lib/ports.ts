import { createServer } from 'node:net';
import type { PublicPorts } from '../runtime/stack-spec.js';

/** Resolves true when nothing listens on host:port and we could bind it. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A run of `count` consecutive free loopback ports, for a lab that must not meet another one. */
export async function freePortBlock(count: number, from = 20_000, to = 32_000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports between ${from} and ${to}`);
}

/** Ports for a lab of its own (tests, the benchmark): the public ones and the internal block. */
export async function privateLabPorts(): Promise<{ ports: PublicPorts; portBase: number }> {
  const base = await freePortBlock(100);
  // Kafka last: with three brokers it takes three ports in a row (kafka, +1, +2).
  return { ports: { gateway: base, postgres: base + 1, faultApi: base + 2, kafka: base + 3 }, portBase: base + 10 };
}
