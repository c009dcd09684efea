/**
 * How a saga event reads in one line, shared by `tail events`, `order --follow` and `trace`:
 * the type coloured by saga step, the order, and the data that matters for that type.
 */
import type { ChalkInstance, ForegroundColorName } from 'chalk';
import { isEventType, type EventType, type SagaEvent } from '../../services/events/index.js';
import type { WatchedRecord } from './event-stream.js';

export const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;

/** The colour of each saga step: created → cyan, paid → green, failed → red, cancelled → yellow… (chalk and Ink names). */
export const STEP_COLORS: { readonly [T in EventType]: ForegroundColorName } = {
  OrderCreated: 'cyan',
  OrderPaid: 'green',
  PaymentFailed: 'red',
  OrderCancelled: 'yellow',
  NotificationSent: 'blue',
  DeadLettered: 'magenta',
};

/** The chalk style of a saga step (white for a type the contract does not know). */
export function stepColor(color: ChalkInstance, type: EventType | string): ChalkInstance {
  return color[isEventType(type) ? STEP_COLORS[type] : 'white'];
}

/** The fields that matter for this event type, in a few words. */
export function describeEvent(event: SagaEvent): string {
  switch (event.type) {
    case 'OrderCreated': {
      const d = (event as SagaEvent<'OrderCreated'>).data;
      return `${d.items.map((i) => `${i.quantity}× ${i.name}`).join(', ')} — total ${euros(d.totalCents)} — pay by ${d.paymentMethod}`;
    }
    case 'OrderPaid': {
      const d = (event as SagaEvent<'OrderPaid'>).data;
      return `charged ${euros(d.amountCents)} (charge ${d.chargeId}${d.attempts > 1 ? `, after ${d.attempts} attempts` : ''})`;
    }
    case 'PaymentFailed': {
      const d = (event as SagaEvent<'PaymentFailed'>).data;
      // The detail says it in words ("the charge was declined: card-declined"); the reason code when there is none.
      return `${d.detail || d.reason}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}`;
    }
    case 'OrderCancelled':
      return (event as SagaEvent<'OrderCancelled'>).data.reason;
    case 'NotificationSent':
      return `email "${(event as SagaEvent<'NotificationSent'>).data.kind}"`;
    case 'DeadLettered': {
      const d = (event as SagaEvent<'DeadLettered'>).data;
      return `${d.origin.topic}/${d.origin.partition}@${d.origin.offset} by ${d.consumer}: ${d.error.kind} — ${d.error.message}${d.attempts > 0 ? ` (${d.attempts} attempts)` : ''}`;
    }
  }
  return '';
}

export const shortId = (id: string | null | undefined) => (id ? id.slice(0, 8) : '—');

/** The service that emitted an event, from its ce_source (`/services/payment` → payment). */
export function serviceOf(event: SagaEvent): string {
  return event.source.replace(/^\/services\//, '');
}

export interface LineOptions {
  color: ChalkInstance;
  /** Print times relative to this (ms since epoch) as +12 ms; absolute clock time when absent. */
  relativeTo?: number;
  showTopic?: boolean;
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function relative(ms: number): string {
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  return `+${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** One line for one record, valid event or not. */
export function formatRecord(record: WatchedRecord, options: LineOptions): string {
  const { color } = options;
  const time = options.relativeTo !== undefined ? relative(record.timestamp - options.relativeTo).padStart(9) : clock(record.timestamp);
  const topic = options.showTopic === false ? '' : `${color.dim(record.topic.padEnd(19))} `;
  if (!record.event) {
    const why = record.invalid ? `${record.invalid.kind}: ${record.invalid.message}` : 'not an event';
    // The key in full: a poison record's key need not be an order id.
    const raw = record.raw === undefined ? '' : `  ${color.dim(`raw ${JSON.stringify(record.raw.length > 60 ? `${record.raw.slice(0, 60)}…` : record.raw)}`)}`;
    return `${color.dim(time)} ${topic}${color.bgRed.white(' NOT AN EVENT ')}  ${color.dim(`key ${record.key ?? '—'}`)}  ${why}${raw}`;
  }
  const event = record.event;
  const type = stepColor(color, event.type)(event.type.padEnd(16));
  const order = color.bold(shortId(event.subject));
  return `${color.dim(time)} ${topic}${type} ${order}  ${describeEvent(event)}`;
}
