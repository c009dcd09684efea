/**
 * The JSON the fault API speaks — Toxiproxy 2.x's shapes, shared by the built-in proxy and the
 * client (which also talks to the real Toxiproxy of the compose runtime).
 */
import type { ToxicAttributes, ToxicType } from './proxy/toxics/index.js';

export type { ToxicAttributes, ToxicType };

/** upstream = client → server bytes; downstream = server → client. */
export type Stream = 'upstream' | 'downstream';

/** What creates a proxy: listen on `listen` ("127.0.0.1:19101"; port 0 = any), forward to `upstream`. */
export interface ProxyConfig {
  name: string;
  listen: string;
  upstream: string;
  /** Defaults to true. */
  enabled?: boolean;
}

export interface ProxyJson {
  name: string;
  /** The address really listened on (port 0 resolved). */
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export type ToxicJson = {
  [T in ToxicType]: {
    attributes: Required<ToxicAttributes[T]>;
    name: string;
    type: T;
    stream: Stream;
    toxicity: number;
  };
}[ToxicType];

/** What adds a toxic. `name` defaults to `<type>_<stream>`, `stream` to downstream, `toxicity` to 1. */
export type ToxicConfig = {
  [T in ToxicType]: {
    type: T;
    name?: string;
    stream?: Stream;
    /** The share of connections affected, 0..1, rolled per connection. */
    toxicity?: number;
    attributes?: ToxicAttributes[T];
  };
}[ToxicType];

/** What changes a toxic: attributes are merged into the current ones. */
export interface ToxicUpdate {
  toxicity?: number;
  attributes?: Partial<Record<string, number>>;
}
