/**
 * Kafka administration the lab needs on either runtime: creating the saga's topics up front
 * (consumers cannot subscribe to a topic that does not exist yet on KRaft).
 */
import { Kafka, logLevel } from 'kafkajs';
import type { StackPlan } from './stack-spec.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** A kafkajs client on the plain tools listener, quiet unless something is really wrong. */
export function toolsKafka(brokers: readonly string[], clientId = 'pizza-lab-cli'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } });
}

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(plan: StackPlan): Promise<string[]> {
  const admin = toolsKafka(plan.endpoints.kafka).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.topics.names.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: plan.topics.partitions,
          replicationFactor: plan.topics.replicationFactor,
          configEntries: plan.topics.replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: '2' }] : [],
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
