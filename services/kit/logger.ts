/**
 * JSON-line logs with the service and instance on every line, and the order and trace ids on
 * every line about an order (`forEvent`), so one `grep <orderId>` follows a saga across logs.
 */
import { pino, type Logger } from 'pino';
import { traceIdOf } from '../events/index.js';
import type { ServiceConfig } from './config.js';

export type { Logger };

export function createLogger(config: Pick<ServiceConfig, 'service' | 'instance' | 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: config.service, instance: config.instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A child logger for one order's step. */
export function forOrder(logger: Logger, orderId: string | null | undefined, traceparent?: string): Logger {
  return logger.child({ orderId: orderId ?? undefined, traceId: traceIdOf(traceparent) });
}
