/**
 * JSON-line logs with the service and instance on every line, and the order and trace ids on
 * every line about an order (`forEvent`), so one `grep <orderId>` follows a saga across logs.
 */
import { destination as pinoDestination, pino, type Logger } from 'pino';
import { traceIdOf } from '../events/index.js';
import type { ServiceConfig } from './config.js';

export type { Logger };

export function createLogger(config: Pick<ServiceConfig, 'service' | 'instance' | 'logLevel'>): Logger {
  // Buffered: at a thousand orders a second, one write() per line would cost more than the line.
  const destination = pinoDestination({ dest: 1, sync: false, minLength: 4096 });
  const flush = () => {
    try {
      destination.flushSync();
    } catch {
      // nothing buffered, or stdout is gone
    }
  };
  // What is buffered still reaches the log on a clean exit and on a crash; and within a second otherwise.
  process.once('exit', flush);
  setInterval(() => destination.flush(), 1000).unref();
  return pino(
    {
      level: config.logLevel,
      base: { service: config.service, instance: config.instance },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A child logger for one order's step. */
export function forOrder(logger: Logger, orderId: string | null | undefined, traceparent?: string): Logger {
  return logger.child({ orderId: orderId ?? undefined, traceId: traceIdOf(traceparent) });
}
