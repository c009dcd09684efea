/**
 * Consumer lag as the group's own service reports it: every few seconds, the records on its
 * topics that its group has not committed yet (`saga_consumer_lag{group,topic}`).
 */
import type { Kafka } from 'kafkajs';
import type { Metrics } from './metrics.js';

export function startLagReporter(options: { kafka: Kafka; groupId: string; topics: readonly string[]; metrics: Metrics; intervalMs?: number }): { stop(): Promise<void> } {
  const { kafka, groupId, topics, metrics } = options;
  const admin = kafka.admin();
  let connected = false;
  async function refresh() {
    try {
      if (!connected) {
        await admin.connect();
        connected = true;
      }
      for (const topic of topics) {
        const [committed, latest] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
        const high = new Map(latest.map((p) => [p.partition, Number(p.high)]));
        let lag = 0;
        for (const p of committed[0]?.partitions ?? []) {
          const offset = Number(p.offset);
          const end = high.get(p.partition) ?? 0;
          lag += offset < 0 ? end : Math.max(0, end - offset);
        }
        metrics.consumerLag.set({ group: groupId, topic }, lag);
      }
    } catch {
      // Kafka unreachable: keep the last figures.
    }
  }
  const timer = setInterval(() => void refresh(), options.intervalMs ?? 5000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      if (connected) await admin.disconnect().catch(() => {});
    },
  };
}
