/** What every service shares. Services import only this and services/events. */
export { BREAKER_STATES, createBreaker, BreakerOpenError, type Breaker, type BreakerState } from './breaker.js';
export { loadConfig, readEnv, settingsOrExit, type ServiceConfig, type ServiceNeeds } from './config.js';
export { deadLetterEvent, PauseConsumption, startSagaConsumer, type BatchResult, type HandlerContext, type SagaConsumer } from './consumer.js';
export { createPool, planned, prepared, withTransaction, type Pool, type PoolClient } from './db.js';
export { groupCommit } from './group-commit.js';
export * from './errors.js';
export { errorResponses, errorSchema, toErrorResponse, BODY_LIMIT_BYTES, type ErrorBody } from './http.js';
export { stableUuid } from './ids.js';
export { claimEvents } from './inbox.js';
export { ALL_CONSUMER_GROUPS, CONSUMER_GROUPS, type ConsumerGroup } from './groups.js';
export { startLagReporter } from './lag.js';
export { CONSUMER_TIMINGS, createKafka, createPublisher, type OutgoingRecord, type Publisher } from './kafka.js';
export { forOrder, type Logger } from './logger.js';
export { type Metrics, promClient } from './metrics.js';
export { appendToOutbox, outboxInsert, startOutboxRelay, wakeRelay, type OutboxRelay } from './outbox.js';
export { serviceDir } from './paths.js';
export { backoffDelay, retry, RetriesExhaustedError, sleep, type RetryOptions } from './retry.js';
export { runService, type ServiceKit } from './service.js';
