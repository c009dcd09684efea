/** Watching the saga: reading events back from Kafka and printing them. */
export { openEventStream, readEvents, toWatched, type EventStream, type StartFrom, type WatchedRecord } from './event-stream.js';
export { describeEvent, euros, formatRecord, relative, serviceOf, shortId, stepColor } from './format.js';
export { STEP_COLORS } from './format.js';
export { createEventFeed, type EventFeed } from './event-feed.js';
export { createEventFilter, MIN_ORDER_PREFIX, parseOrderPrefix, type EventFilterOptions } from './event-filter.js';
export { recordJson, type RecordJson } from './record-json.js';
export { createTailStats, type TailFigures, type TailStats } from './tail-stats.js';
export { createDashboardSource, type DashboardSource } from './dashboard-source.js';
export { createDashboardModel, DASHBOARD_METRICS, type BreakerState, type DashboardData, type DashboardSample, type InstanceScrape, type MemberView, type Percentiles } from './metrics-dashboard.js';
export type { Bucket } from './metrics-quantile.js';
export type { Reading } from './metrics-rate.js';
export { sparkline } from './metrics-sparkline.js';
export { parseMetricsText, type MetricSample } from './metrics-text.js';
export { byRecordTime, createHistoryOrder } from './history-order.js';
export type { GroupLag } from './consumer-lag.js';
