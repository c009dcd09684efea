/** The event contract: topics, event types and their data, the CloudEvents encoding, trace context. */
export { ALL_TOPICS, TOPIC_PARTITIONS, TOPICS, type Topic } from './topics.js';
export * from './schemas.js';
export { DECLINING_PAYMENT_METHOD, EVENTS, EVENT_TYPES, LEGAL_SEQUENCES, ORDER_STATES, PAYMENT_METHODS, TERMINAL_STATES, isEventType, type PaymentMethod, type EventDataMap, type EventDef, type EventType, type OrderState } from './catalogue.js';
export { createEvent, decodeEvent, encodeEvent, headersOf, isForGroup, recordValue, REPLAY_FOR_HEADER, type DecodeFailure, type Decoded, type EncodedEvent, type NewEvent, type RawRecord, type SagaEvent } from './cloudevents.js';
export { childTraceparent, isTraceparent, newTraceparent, randomHex, traceIdOf } from './trace-context.js';
