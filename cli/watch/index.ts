/** Watching the saga: reading events back from Kafka and printing them. */
export { openEventStream, readEvents, toWatched, type EventStream, type StartFrom, type WatchedRecord } from './event-stream.js';
export { describeEvent, euros, formatRecord, relative, serviceOf, shortId, stepColor } from './format.js';
