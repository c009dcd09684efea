/** The scenario library, in the order a class usually walks through it. */
import type { Scenario } from './dsl.js';
import brokerFailover from './broker-failover.js';
import dbOutage from './db-outage.js';
import duplicateDelivery from './duplicate-delivery.js';
import flood from './flood.js';
import happyPath from './happy-path.js';
import kafkaOutage from './kafka-outage.js';
import partition from './partition.js';
import paymentOutage from './payment-outage.js';
import poisonMessage from './poison-message.js';
import providerOutage from './provider-outage.js';
import scaleOut from './scale-out.js';
import slowProvider from './slow-provider.js';

export const SCENARIOS: readonly Scenario[] = [happyPath, paymentOutage, partition, providerOutage, slowProvider, kafkaOutage, dbOutage, poisonMessage, duplicateDelivery, scaleOut, brokerFailover, flood];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export * from './dsl.js';
