/**
 * The small language scenarios are written in, after Chaos Toolkit's steady state → method →
 * rollbacks: a scenario is data — the load to run, a timeline of faults, the rollback, and the
 * expectations its verdict is made of. The runner (cli/experiment) interprets it; nothing here
 * touches the lab.
 */
import type { PartitionScope, ProviderMode } from '../cli/faults/controller.js';
import type { Stream, ToxicType } from '../cli/faults/types.js';
import type { MemberAction } from '../cli/runtime/common/index.js';

/** A duration as people write it: '250ms', '10s', '1m'. */
export type Duration = string;

export type Action =
  | { kind: 'member'; action: MemberAction; target: string; signal?: string }
  | { kind: 'partition'; service: string; from: PartitionScope }
  | { kind: 'link'; link: string; enabled: boolean }
  | { kind: 'toxic'; link: string; toxic: ToxicType; attributes: Record<string, number>; stream?: Stream }
  | { kind: 'provider'; mode: ProviderMode; rate?: number; latencyMs?: number }
  | { kind: 'poison'; topic: string; count: number }
  | { kind: 'rewind'; group: string; topic: string; by: number }
  | { kind: 'kill-partition-leader'; topic: string }
  | { kind: 'replay-dead-letters' }
  | { kind: 'heal' };

export interface TimelineStep {
  at: Duration;
  action: Action;
}

/** A load profile: a constant rate, or steps of rates (a ramp) at given times. */
export interface LoadSpec {
  rate: number;
  duration: Duration;
  endpoint?: 'orders' | 'menu';
  /** Rate steps for ramps: from `at` on, offer `rate` orders/s. */
  steps?: { at: Duration; rate: number }[];
  maxInFlight?: number;
  /** Share of orders paid with the always-declined test card, 0..1. */
  declineShare?: number;
}

export type Expectation =
  | { kind: 'no-lost-orders' }
  | { kind: 'all-terminal'; within: Duration }
  | { kind: 'charged-exactly-once' }
  | { kind: 'one-final-notification' }
  | { kind: 'legal-sequences' }
  | { kind: 'no-duplicate-effects' }
  | { kind: 'dead-letters-accounted' }
  | { kind: 'recovered-within'; within: Duration }
  | { kind: 'availability-during-fault'; atLeast: number }
  | { kind: 'latency'; percentile: 50 | 90 | 95 | 99; below: Duration }
  | { kind: 'shed-load'; statuses: number[] }
  | { kind: 'fails-fast'; status: number; within: Duration }
  | { kind: 'dead-letters'; atLeast: number }
  | { kind: 'partition-without-leader-recorded' }
  | { kind: 'highest-sustainable-rate-recorded' };

export interface Requirements {
  /** Instances of a service the scenario needs (e.g. order: 3). */
  scale?: Record<string, number>;
  brokers?: number;
}

export interface Scenario {
  name: string;
  summary: string;
  /** What a student should take away, one line each. */
  learn: string[];
  requires?: Requirements;
  load: LoadSpec;
  timeline: TimelineStep[];
  /** Extra rollback steps after the runner's heal (which always runs). */
  rollback?: Action[];
  expect: Expectation[];
  /** For `flood`: stop ramping when p99 exceeds this, and report the highest sustainable rate. */
  objective?: { p99Below: Duration };
}

export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}

export const at = (time: Duration, action: Action): TimelineStep => ({ at: time, action });

// Faults and their undoing.
export const kill = (target: string, signal = 'SIGKILL'): Action => ({ kind: 'member', action: 'kill', target, signal });
export const stop = (target: string): Action => ({ kind: 'member', action: 'stop', target });
export const start = (target: string): Action => ({ kind: 'member', action: 'start', target });
export const restart = (target: string): Action => ({ kind: 'member', action: 'restart', target });
export const pause = (target: string): Action => ({ kind: 'member', action: 'pause', target });
export const resume = (target: string): Action => ({ kind: 'member', action: 'resume', target });
export const partition = (service: string, from: PartitionScope = 'all'): Action => ({ kind: 'partition', service, from });
export const reconnect = (link: string): Action => ({ kind: 'link', link, enabled: true });
export const latency = (link: string, ms: number, jitter = 0): Action => ({ kind: 'toxic', link, toxic: 'latency', attributes: { latency: ms, jitter } });
export const provider = (mode: ProviderMode, options: { rate?: number; latencyMs?: number } = {}): Action => ({ kind: 'provider', mode, ...options });
export const poison = (topic: string, count = 1): Action => ({ kind: 'poison', topic, count });
/** Moves a consumer group's committed offsets back by `by` records per partition: a redelivery storm. */
export const rewindOffsets = (group: string, topic: string, by: number): Action => ({ kind: 'rewind', group, topic, by });
export const killPartitionLeader = (topic: string): Action => ({ kind: 'kill-partition-leader', topic });
export const replayDeadLetters = (): Action => ({ kind: 'replay-dead-letters' });
export const heal = (): Action => ({ kind: 'heal' });

// Expectations.
export const noLostOrders = (): Expectation => ({ kind: 'no-lost-orders' });
export const allTerminal = (options: { within: Duration }): Expectation => ({ kind: 'all-terminal', within: options.within });
export const chargedExactlyOnce = (): Expectation => ({ kind: 'charged-exactly-once' });
export const oneFinalNotification = (): Expectation => ({ kind: 'one-final-notification' });
export const legalSequences = (): Expectation => ({ kind: 'legal-sequences' });
export const noDuplicateEffects = (): Expectation => ({ kind: 'no-duplicate-effects' });
export const deadLettersAccounted = (): Expectation => ({ kind: 'dead-letters-accounted' });
export const recoveredWithin = (within: Duration): Expectation => ({ kind: 'recovered-within', within });
export const availabilityDuringFault = (atLeast: number): Expectation => ({ kind: 'availability-during-fault', atLeast });
export const latencyBelow = (percentile: 50 | 90 | 95 | 99, below: Duration): Expectation => ({ kind: 'latency', percentile, below });
export const shedsLoad = (statuses: number[] = [429]): Expectation => ({ kind: 'shed-load', statuses });
/** During the fault, refused requests are refused quickly with this status, not left hanging. */
export const failsFast = (status = 503, within: Duration = '1s'): Expectation => ({ kind: 'fails-fast', status, within });
export const deadLettered = (atLeast = 1): Expectation => ({ kind: 'dead-letters', atLeast });
export const leaderlessTimeRecorded = (): Expectation => ({ kind: 'partition-without-leader-recorded' });
export const highestSustainableRateRecorded = (): Expectation => ({ kind: 'highest-sustainable-rate-recorded' });

/** The checks every scenario makes, whatever else it expects: the saga's invariants. */
export const invariants = (): Expectation[] => [noLostOrders(), chargedExactlyOnce(), oneFinalNotification(), legalSequences(), noDuplicateEffects(), deadLettersAccounted()];
