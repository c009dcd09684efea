/**
 * Which event type lives on which topic, who emits it, and what its data looks like.
 * Nothing else in the code base spells a topic or a type by hand.
 */
import type { z } from 'zod';
import {
  deadLetteredSchema,
  notificationSentSchema,
  orderCancelledSchema,
  orderCreatedSchema,
  orderPaidSchema,
  paymentFailedSchema,
  type DeadLettered,
  type NotificationSent,
  type OrderCancelled,
  type OrderCreated,
  type OrderPaid,
  type PaymentFailed,
} from './schemas.js';
import { TOPICS, type Topic } from './topics.js';

export interface EventDataMap {
  OrderCreated: OrderCreated;
  OrderPaid: OrderPaid;
  PaymentFailed: PaymentFailed;
  OrderCancelled: OrderCancelled;
  NotificationSent: NotificationSent;
  DeadLettered: DeadLettered;
}

export type EventType = keyof EventDataMap;

export interface EventDef<T extends EventType = EventType> {
  type: T;
  topic: Topic;
  /** The service that emits it (its `ce_source` is `/services/<emitter>`). */
  emitter: string;
  schema: z.ZodType<EventDataMap[T]>;
  /** One line for the event catalogue and `tail`. */
  summary: string;
}

export const EVENTS: { readonly [T in EventType]: EventDef<T> } = {
  OrderCreated: { type: 'OrderCreated', topic: TOPICS.orderEvents, emitter: 'order', schema: orderCreatedSchema, summary: 'an order was accepted and waits for payment' },
  OrderCancelled: { type: 'OrderCancelled', topic: TOPICS.orderEvents, emitter: 'order', schema: orderCancelledSchema, summary: 'an order was cancelled (its payment failed): compensation' },
  OrderPaid: { type: 'OrderPaid', topic: TOPICS.paymentEvents, emitter: 'payment', schema: orderPaidSchema, summary: 'the provider charged the order' },
  PaymentFailed: { type: 'PaymentFailed', topic: TOPICS.paymentEvents, emitter: 'payment', schema: paymentFailedSchema, summary: 'the charge was declined or could not be made' },
  NotificationSent: { type: 'NotificationSent', topic: TOPICS.notificationEvents, emitter: 'notification', schema: notificationSentSchema, summary: 'the customer was told about a saga step' },
  DeadLettered: { type: 'DeadLettered', topic: TOPICS.dlqEvents, emitter: 'the consuming service', schema: deadLetteredSchema, summary: 'a record that could not be processed, with its origin and error' },
};

export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENTS, value);
}

/**
 * How a customer pays. `card-declined` is the documented test method: the provider always
 * declines it, so one order's payment can fail on purpose (like a payment provider's test card).
 */
export const PAYMENT_METHODS = ['card', 'paypal', 'apple-pay', 'card-declined'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const DECLINING_PAYMENT_METHOD: PaymentMethod = 'card-declined';

/** Order states of the saga. Terminal: PAID or CANCELLED. */
export const ORDER_STATES = ['PENDING_PAYMENT', 'PAID', 'CANCELLED'] as const;
export type OrderState = (typeof ORDER_STATES)[number];
export const TERMINAL_STATES: readonly OrderState[] = ['PAID', 'CANCELLED'];

/**
 * The event sequences an order may legally show on Kafka, in order (NotificationSent aside):
 * created then paid, or created, payment failed, cancelled.
 */
export const LEGAL_SEQUENCES: readonly (readonly EventType[])[] = [
  ['OrderCreated'],
  ['OrderCreated', 'OrderPaid'],
  ['OrderCreated', 'PaymentFailed'],
  ['OrderCreated', 'PaymentFailed', 'OrderCancelled'],
];
