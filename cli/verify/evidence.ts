/**
 * What an experiment leaves behind, in one shape the checker reads: the load generator's ledger
 * (what the clients were told), every service's records (what the system did), every event read
 * back from Kafka (what the services said to each other), and when each fault began and ended.
 */
import type { LatencySummary } from '../load/latency.js';
import type { LedgerOutcome } from '../load/ledger.js';
import type { EventType, OrderState } from '../../services/events/index.js';

export interface LedgerRecord {
  /** The Idempotency-Key the request carried. */
  key: string;
  scheduledAt: number;
  finishedAt?: number;
  /** HTTP status; 0 when no answer came (timeout, reset, refused). */
  status: number;
  /** What the client can know of the request (see LedgerOutcome). */
  outcome: LedgerOutcome;
  orderId?: string;
}

export interface OrderRecord {
  id: string;
  status: OrderState;
  createdAt: number;
  updatedAt: number;
  idempotencyKey: string | null;
}

export interface ChargeRecord {
  orderId: string;
  status: 'succeeded' | 'declined' | string;
}

export interface PaymentRecord {
  orderId: string;
  status: string;
}

export interface NotificationRecord {
  orderId: string;
  kind: string;
}

export interface DeadLetterRecord {
  id: string;
  originTopic: string;
  key: string | null;
  errorKind: string;
  status: 'stored' | 'replayed' | string;
}

export interface EventRecord {
  id: string;
  type: EventType;
  orderId: string | null;
  topic: string;
  timestamp: number;
}

export interface FaultWindow {
  /** What was done, in words ("kill payment"). */
  action: string;
  start: number;
  /** When it was undone (by the timeline or the rollback). */
  end?: number;
}

export interface LoadSummary {
  latencyMs: Pick<LatencySummary, 'p50' | 'p90' | 'p95' | 'p99' | 'max'>;
  errorsByStatus: Record<string, number>;
  achievedRate: number;
  rateOffered: number;
  dropped: number;
  /** Requests the generator could not start on time, per second of the run (since `startedAt`). */
  droppedPerSecond?: number[];
}

export interface Evidence {
  startedAt: number;
  ledger: LedgerRecord[];
  orders: OrderRecord[];
  charges: ChargeRecord[];
  payments: PaymentRecord[];
  notifications: NotificationRecord[];
  deadLetters: DeadLetterRecord[];
  events: EventRecord[];
  /** Records on the saga topics that were not valid events (poison). */
  invalidRecords: number;
  faults: FaultWindow[];
  /**
   * When the last fault was undone (by the timeline, or at the latest by the rollback); for a
   * run without faults, when the load ended. Recovery is measured from here.
   */
  healedAt?: number;
  load?: LoadSummary;
  /** Figures particular scenarios record (ms without a partition leader, highest sustainable rate…). */
  extra: Record<string, number | undefined>;
}
