/** `host:port` as Toxiproxy (and Go's net package) writes it: `127.0.0.1:8474`, `[::1]:8474`, `:8474`. */
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';

export interface Address {
  /** Empty means every interface, as in Go. */
  host: string;
  port: number;
}

/** Parses `host:port`; `field` names it in the 400 answer. */
export function parseAddress(text: string, field: string): Address {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ApiError('BadRequestBody', `${field} must be host:port, got "${text}"`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** Formats a listening socket's address the way Go does. */
export function formatAddress(address: AddressInfo | Address): string {
  const host = 'address' in address ? address.address : address.host;
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}
