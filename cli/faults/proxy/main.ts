/**
 * The fault proxy process the native runtime's supervisor runs:
 *
 *   node dist/cli/faults/proxy/main.js --host 127.0.0.1 --port 8474 [--config proxies.json]
 *
 * `--config` is a JSON list of proxies ({name, listen, upstream, enabled?}), as Toxiproxy's. The
 * process writes JSON log lines to stdout and nothing else; SIGTERM or SIGINT closes every proxy
 * and exits 0.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { destination, pino, type Logger } from 'pino';
import { UsageError, isLabError, messageOf } from '../../lib/errors.js';
import { startFaultProxy, type StartedFaultProxy } from './server.js';
import type { ProxyConfig } from '../types.js';

/** Parses the flags, starts the proxy and logs where it listens. Bad flags throw a UsageError. */
export async function main(argv: string[], logger: Logger = createLogger()): Promise<StartedFaultProxy> {
  const { values } = parseFlags(argv);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a port number, got "${values.port}"`);
  const proxies = values.config ? await readConfig(values.config) : [];

  const started = await startFaultProxy({ host: values.host, port, proxies, logger });
  logger.info({ url: started.url, proxies: proxies.length }, `fault proxy listening on ${started.url}`);
  return started;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8474' },
        config: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(messageOf(error), { hint: 'flags: --host 127.0.0.1 --port 8474 [--config proxies.json]' });
  }
}

// Synchronous writes: lines stay in order and none is lost when the process exits right after.
function createLogger(): Logger {
  const level = process.env.LOG_LEVEL ?? 'info';
  return pino({ level, base: { service: 'fault-proxy', pid: process.pid } }, destination({ dest: 1, sync: true }));
}

async function readConfig(path: string): Promise<ProxyConfig[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read --config ${path}: ${messageOf(error)}`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new UsageError(`--config ${path} must hold a JSON list of proxies`);
  return parsed as ProxyConfig[];
}

// Run only as the process entry, so tests can import `main`. Signal handlers come first: a
// SIGTERM during start-up still ends in a clean close.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const logger = createLogger();
  const started = main(process.argv.slice(2), logger).catch((error: unknown) => {
    logger.error({ err: messageOf(error), hint: isLabError(error) ? error.hint : undefined }, 'fault proxy failed to start');
    process.exit(isLabError(error) ? error.exitCode : 1);
  });
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    logger.info({ signal }, 'fault proxy stopping');
    try {
      await (await started)?.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: messageOf(error) }, 'fault proxy did not stop cleanly');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
