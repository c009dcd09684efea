/**
 * Kafka administration the lab needs on either runtime: creating the saga's topics up front
 * (consumers cannot subscribe to a topic that does not exist yet on KRaft).
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import '../../../services/kit/kafkajs-idle-loop.js';
import type { StackPlan } from '../stack-spec.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** A kafkajs client on the plain tools listener, quiet unless something is really wrong. */
export function toolsKafka(brokers: readonly string[], clientId = 'pizza-lab-cli', options: { retries?: number; requestTimeout?: number } = {}): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: options.retries ?? 5, initialRetryTime: 200 }, requestTimeout: options.requestTimeout ?? 30_000 });
}

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader; returns
 * the names it created. A cluster that has just started may still be electing its controller and
 * answer "does not host this topic-partition" for a moment, so this tries again for a while.
 */
export async function ensureTopics(plan: StackPlan, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const created: string[] = [];
  for (;;) {
    const admin = toolsKafka(plan.endpoints.kafka).admin();
    try {
      await admin.connect();
      created.push(...(await createMissingTopics(admin, plan)));
      if (await everyPartitionLed(admin, plan)) return created;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`the topics have partitions without a leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function everyPartitionLed(admin: Admin, plan: StackPlan): Promise<boolean> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [...plan.topics.names] });
  return topics.every((t) => t.partitions.length === plan.topics.partitions && t.partitions.every((p) => p.leader >= 0 && p.isr.length >= Math.min(2, plan.topics.replicationFactor)));
}

async function createMissingTopics(admin: Admin, plan: StackPlan): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = plan.topics.names.filter((name) => !existing.has(name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: plan.topics.partitions,
        replicationFactor: plan.topics.replicationFactor,
        configEntries: plan.topics.replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: '2' }] : [],
      })),
    });
  }
  return missing;
}
