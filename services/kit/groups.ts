/**
 * The Kafka consumer group of each consuming service: the services join them, and the lab reads
 * their lag and rewinds them. A leaf module, as env.ts: the CLI imports it too.
 */
export const CONSUMER_GROUPS = {
  order: 'order-service',
  payment: 'payment-service',
  notification: 'notification-service',
  dlq: 'dlq-service',
} as const;

export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** Every consumer group of the saga, in the order above. */
export const ALL_CONSUMER_GROUPS: readonly ConsumerGroup[] = Object.values(CONSUMER_GROUPS);
