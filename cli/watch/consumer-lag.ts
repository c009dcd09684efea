/**
 * Consumer lag read from Kafka itself: each partition's end offset minus what the group has
 * committed. The services report their own lag on /metrics; this is for a group none of whose
 * instances can — all down is exactly when its lag grows and matters.
 */
import type { Admin } from 'kafkajs';

export interface GroupLag {
  group: string;
  topic: string;
  lag: number;
}

/** The group's lag per topic (its committed topics, or the ones given); a partition it never committed counts whole. */
export async function readGroupLag(admin: Admin, group: string, topics?: readonly string[]): Promise<GroupLag[]> {
  const committed = await admin.fetchOffsets({ groupId: group, ...(topics && topics.length > 0 ? { topics: [...topics] } : {}) });
  return Promise.all(
    committed.map(async ({ topic, partitions }) => {
      const ends = await admin.fetchTopicOffsets(topic);
      let lag = 0;
      for (const end of ends) {
        const offset = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        lag += offset < 0 ? Number(end.high) : Math.max(0, Number(end.high) - offset);
      }
      return { group, topic, lag };
    }),
  );
}
