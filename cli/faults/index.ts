/** The fault proxy (the Toxiproxy API, built in) and the client the CLI drives it with. */
export { startFaultProxy, type FaultProxyOptions, type StartedFaultProxy } from './proxy/server.js';
export { createFaultClient, FaultApiError, type FaultClient, type FaultClientOptions } from './client.js';
export { toxicTypes } from './proxy/toxics/index.js';
export type { Logger as FaultProxyLogger } from './proxy/logger.js';
export type {
  ProxyConfig,
  ProxyJson,
  Stream,
  ToxicAttributes,
  ToxicConfig,
  ToxicJson,
  ToxicType,
  ToxicUpdate,
} from './types.js';
