/**
 * The saga's Kafka topics. Every event is keyed by its order id, so one order's events stay in
 * one partition and keep their order; six partitions let three consumer instances share a topic.
 */
export const TOPICS = {
  orderEvents: 'order-events',
  paymentEvents: 'payment-events',
  notificationEvents: 'notification-events',
  dlqEvents: 'dlq-events',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);

export const TOPIC_PARTITIONS = 6;
