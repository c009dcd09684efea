/** `host:port` as Toxiproxy (and Go's net package) writes it: `127.0.0.1:8474`, `[::1]:8474`, `:8474`. */
import type { AddressInfo } from 'node:net';

export interface Address {
  /** Empty means every interface, as in Go. */
  host: string;
  port: number;
}

/** Parses `host:port`; throws an Error worded as Go's ("address x: missing port in address"). */
export function parseAddress(text: string): Address {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d{0,5})$/.exec(text);
  if (!match) throw new Error(`address ${text}: missing port in address`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`address ${text}: invalid port`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** Formats a listening socket's address the way Go does. */
export function formatAddress(address: AddressInfo | Address): string {
  const host = 'address' in address ? address.address : address.host;
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}
