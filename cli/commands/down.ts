import { defineCommand } from '../lib/command.js';
import { color, note, say } from '../lib/output.js';
import { stopStack } from '../runtime/index.js';

export default defineCommand({
  name: 'down',
  description: 'stop every member of the lab and leave no process behind',
  options: [{ flags: '--volumes', description: 'also delete the data (Kafka topics, PostgreSQL tables)' }],
  examples: ['pizza-lab down', 'pizza-lab down --volumes'],
  async action(_args, opts) {
    const { wasRunning } = await stopStack({ volumes: Boolean(opts.volumes), onProgress: (message) => note(color.dim(message)) });
    if (wasRunning) say(`the lab is down${opts.volumes ? ' and its data deleted' : ''}; no process is left`);
    else say(`the lab was not running${opts.volumes ? '; its data is deleted' : ''}`);
    return 0;
  },
});
