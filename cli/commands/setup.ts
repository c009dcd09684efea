import { defineCommand } from '../lib/command.js';
import { color, note, say, statusLine } from '../lib/output.js';
import { ensureKafka } from '../runtime/native/kafka-dist.js';

export default defineCommand({
  name: 'setup',
  description: 'fetch Apache Kafka 3.9.1 for the native runtime (once; `up` does it by itself when needed)',
  details: 'Kafka lands in $XDG_CACHE_HOME/pizza-lab (~/.cache/pizza-lab). Set KAFKA_HOME to use an existing Apache Kafka install instead.',
  examples: ['pizza-lab setup'],
  async action() {
    const live = process.stderr.isTTY;
    const status = statusLine();
    const dist = await ensureKafka((event) => {
      if (event.step === 'done') return;
      const text = event.jars !== undefined && event.jars > 0 ? `${event.message} (${event.jars} jars)` : event.message;
      if (live) status.show(`  ${color.dim(text.slice(0, (process.stderr.columns ?? 80) - 3))}`);
      else if (event.step !== 'download' || event.jars === 0 || (event.jars ?? 0) % 10 === 0) note(`  ${text}`);
    });
    status.clear();
    say(`${color.green('✓')} Apache Kafka 3.9.1 ready (${dist.source})`);
    return 0;
  },
});
