/**
 * The data of every saga event. Money is in integer cents; times are ISO-8601 strings.
 * Consumers validate each event against these before acting on it.
 */
import { z } from 'zod';

const orderId = z.uuid();
const cents = z.number().int().nonnegative();

/** The most of one pizza a single order may hold. */
export const MAX_QUANTITY = 20;

export const orderItemSchema = z.object({
  pizzaId: z.string().min(1),
  name: z.string().min(1),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
  unitPriceCents: cents,
});

export const orderCreatedSchema = z.object({
  orderId,
  items: z.array(orderItemSchema).min(1),
  totalCents: cents,
  currency: z.literal('EUR'),
  deliveryAddress: z.string().min(1),
  paymentMethod: z.string().min(1),
  createdAt: z.iso.datetime(),
});

export const orderPaidSchema = z.object({
  orderId,
  paymentId: z.uuid(),
  amountCents: cents,
  currency: z.literal('EUR'),
  /** The provider's charge id. */
  chargeId: z.string().min(1),
  /** Calls to the provider it took (retries included). */
  attempts: z.number().int().min(1),
});

/**
 * Why a payment failed for good (the order is then cancelled). A provider that cannot be reached
 * is not one of them: that is retried, and dead-lettered when retries run out, never a failure.
 */
export const paymentFailureReasons = ['declined', 'invalid-payment-method'] as const;

/** Why a consumer gave up on a record: it was not an event it could read, or handling it failed for good. */
export const deadLetterKinds = ['malformed', 'unknown-type', 'invalid', 'retries-exhausted', 'not-retriable'] as const;

/** The kinds where the record itself is wrong: replayed as it was, it is dead-lettered again. */
export const unreadableKinds: ReadonlySet<string> = new Set<(typeof deadLetterKinds)[number]>(['malformed', 'unknown-type', 'invalid']);

export const paymentFailedSchema = z.object({
  orderId,
  paymentId: z.uuid(),
  amountCents: cents,
  reason: z.enum(paymentFailureReasons),
  /** What the provider or the retry loop said, for people. */
  detail: z.string(),
  attempts: z.number().int().min(1),
});

export const orderCancelledSchema = z.object({
  orderId,
  reason: z.string().min(1),
  cancelledAt: z.iso.datetime(),
});

export const notificationKinds = ['order-received', 'order-paid', 'order-cancelled'] as const;

export const notificationSentSchema = z.object({
  orderId,
  notificationId: z.uuid(),
  kind: z.enum(notificationKinds),
  channel: z.literal('email'),
  /** The event that caused it. */
  causeEventId: z.string().min(1),
  sentAt: z.iso.datetime(),
});

export const deadLetteredSchema = z.object({
  /** Where the record that could not be processed came from. */
  origin: z.object({
    topic: z.string(),
    partition: z.number().int().nonnegative(),
    offset: z.string(),
    key: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    /** The record's value as it was (UTF-8 text, or base64 when it was not text). */
    value: z.string().nullable(),
    valueEncoding: z.enum(['utf8', 'base64']),
  }),
  consumer: z.string(),
  error: z.object({ kind: z.enum(deadLetterKinds), message: z.string() }),
  attempts: z.number().int().min(0),
  deadLetteredAt: z.iso.datetime(),
});

export type OrderItem = z.infer<typeof orderItemSchema>;
export type OrderCreated = z.infer<typeof orderCreatedSchema>;
export type OrderPaid = z.infer<typeof orderPaidSchema>;
export type PaymentFailed = z.infer<typeof paymentFailedSchema>;
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;
export type NotificationSent = z.infer<typeof notificationSentSchema>;
export type DeadLettered = z.infer<typeof deadLetteredSchema>;
export type PaymentFailureReason = (typeof paymentFailureReasons)[number];
export type NotificationKind = (typeof notificationKinds)[number];
