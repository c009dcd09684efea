import type { Kafka } from 'kafkajs';

/**
 * A topic of the test's own on the lab's broker, its leaders elected before this returns. The
 * function returned deletes it (an afterAll's work: a topic already gone is no error).
 */
export async function createTopic(kafka: Kafka, topic: string, numPartitions = 1): Promise<() => Promise<void>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  return async () => {
    const cleaner = kafka.admin();
    await cleaner.connect();
    try {
      await cleaner.deleteTopics({ topics: [topic] }).catch(() => undefined);
    } finally {
      await cleaner.disconnect();
    }
  };
}
