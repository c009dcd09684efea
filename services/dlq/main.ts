/** The dlq service: stores every dead letter from dlq-events and replays them on request. */
import { CONSUMER_GROUPS, promClient, runService } from '../kit/index.js';
import { startDeadLetterConsumer } from './handlers.js';
import { registerRoutes } from './http.js';
import { createReplayer } from './replay.js';
import { countStored } from './store.js';

await runService({
  needs: { kafka: true, postgres: true },
  title: 'pizza-lab dlq API',
  description: 'The dead letters of every consumer: list them, read one, replay them.',
  async start(kit, app) {
    const registers = [kit.metrics.registry];
    let depth = 0;
    new promClient.Gauge({
      name: 'dlq_depth',
      help: 'Dead letters stored and not replayed',
      registers,
      // Counted when scraped; while the database is away, the last figure stands.
      async collect() {
        depth = await countStored(kit.pool).catch(() => depth);
        this.set(depth);
      },
    });
    const deadLetters = new promClient.Counter({ name: 'dlq_dead_letters_total', help: 'Dead letters stored, by origin topic and error kind', labelNames: ['topic', 'kind'] as const, registers });
    const replayed = new promClient.Counter({ name: 'dlq_replayed_total', help: 'Dead letters replayed to their original topic', registers });

    const replayer = createReplayer(kit, (count) => replayed.inc(count));
    kit.onClose(() => replayer.close());
    registerRoutes(app, kit, replayer);

    const consumer = await startDeadLetterConsumer(kit, {
      groupId: CONSUMER_GROUPS.dlq,
      onStored: (stored) => {
        for (const { topic, kind } of stored) deadLetters.inc({ topic, kind });
      },
    });
    kit.onClose(() => consumer.stop());
  },
});
