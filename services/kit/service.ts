/**
 * A service's life: configuration, logs and metrics, the database (migrated) and Kafka (an
 * idempotent producer), the HTTP app with /health and /metrics, then the service's own wiring.
 * SIGTERM drains: the HTTP server stops accepting, consumers and relays finish what they hold,
 * connections close, and the process exits 0.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { loadConfig, settingsOrExit, type ServiceConfig, type ServiceNeeds } from './config.js';
import { createPool, databaseCheck, migrate, warmPool, type MigrationSource, type Pool } from './db.js';
import { messageOf } from './errors.js';
import { createHttpApp, type HealthCheck } from './http.js';
import { startSagaConsumer, type SagaConsumer, type SagaConsumerOptions } from './consumer.js';
import { createKafka, createPublisher, type Publisher } from './kafka.js';
import { startOutboxRelay } from './outbox.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { packageRoot, serviceDir } from './paths.js';
import { retry } from './retry.js';

export interface ServiceKit {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  /** Present when the service needs PostgreSQL. */
  pool: Pool;
  /** Present when the service needs Kafka. */
  kafka: Kafka;
  /** Publishes to Kafka (see createPublisher). */
  publisher: Publisher;
  /** Registers cleanup run on shutdown, last registered first. */
  onClose(fn: () => Promise<void>): void;
  /** Adds a check to /health. */
  addHealthCheck(name: string, check: HealthCheck): void;
  /** Starts a saga consumer with this service's Kafka, producer, logs and metrics; stopped on shutdown. */
  consume(options: Omit<SagaConsumerOptions, 'service' | 'kafka' | 'publisher' | 'logger' | 'metrics'>): Promise<SagaConsumer>;
}

export interface ServiceDefinition {
  needs: ServiceNeeds;
  title: string;
  description?: string;
  /** Shared tables from services/kit/migrations this service uses. */
  kitTables?: readonly ('outbox' | 'inbox')[];
  start(kit: ServiceKit, app: FastifyInstance): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;

export async function runService(definition: ServiceDefinition): Promise<void> {
  const config: ServiceConfig = settingsOrExit(() => loadConfig(definition.needs));
  const logger = createLogger(config);
  const metrics = createMetrics(config);
  const closers: Array<() => Promise<void>> = [];
  const health: Record<string, HealthCheck> = {};
  const kit = { config, logger, metrics, onClose: (fn: () => Promise<void>) => void closers.push(fn), addHealthCheck: (name: string, check: HealthCheck) => void (health[name] = check) } as unknown as ServiceKit;

  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));

  const startupRetry = { attempts: 40, initialMs: 200, maxMs: 2000, isRetriable: () => true, onRetry: ({ attempt, error }: { attempt: number; error: unknown }) => logger.warn({ attempt, err: messageOf(error) }, 'dependency not ready at start-up; retrying') };

  if (definition.needs.postgres) {
    kit.pool = createPool(config);
    closers.push(() => kit.pool.end());
    const sources: MigrationSource[] = [
      { dir: join(packageRoot, 'services', 'kit', 'migrations'), only: (definition.kitTables ?? []).map((t) => `${t}.sql`), namespace: 'kit' },
      { dir: serviceDir(config.service, 'migrations') },
    ];
    await retry(async () => {
      for (const source of sources) await migrate(kit.pool, source, logger);
    }, startupRetry);
    await warmPool(kit.pool, 4).catch(() => {});
    kit.addHealthCheck('postgres', databaseCheck(kit.pool));
  }
  if (definition.needs.kafka) {
    kit.kafka = createKafka(config, logger);
    kit.publisher = await retry(() => createPublisher(kit.kafka), startupRetry);
    closers.push(() => kit.publisher.close());
    kit.consume = async (options) => {
      const consumer = await startSagaConsumer({ ...options, service: config.service, kafka: kit.kafka, publisher: kit.publisher, logger, metrics });
      closers.push(() => consumer.stop());
      return consumer;
    };
    // A service with an outbox relays it (one instance at a time holds the relay's lock).
    if (definition.kitTables?.includes('outbox')) {
      const relay = startOutboxRelay(kit);
      closers.push(() => relay.stop());
    }
  }

  const app = await createHttpApp({ config, logger, metrics, title: definition.title, description: definition.description, health });
  await definition.start(kit, app);
  await app.listen({ host: config.host, port: config.port });
  logger.info({ url: `http://${config.host}:${config.port}` }, `${config.instance} listening`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const force = setTimeout(() => {
      logger.error('did not drain in time; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    try {
      await app.close();
      for (const close of closers.reverse()) await close().catch((error) => logger.warn({ err: messageOf(error) }, 'cleanup failed'));
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
