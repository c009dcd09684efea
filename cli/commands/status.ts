import { defineCommand } from '../lib/command.js';
import { say, sayJson } from '../lib/output.js';
import { requireStack } from '../runtime/index.js';
import { memberTable } from './shared.js';

export default defineCommand({
  name: 'status',
  description: 'show every member of the lab: state (and health), address, pid',
  options: [{ flags: '--json', description: 'print {runtime, members: [{name, kind, state, healthy, address, pid}]}' }],
  examples: ['pizza-lab status', 'pizza-lab status --json | jq ".members[] | select(.healthy | not)"'],
  async action(_args, opts) {
    const status = await requireStack().status();
    if (opts.json) {
      sayJson({ runtime: status.runtime, members: status.members.map(({ name, kind, state, healthy, address, pid }) => ({ name, kind, state, healthy, address, pid })) });
      return 0;
    }
    say(`runtime: ${status.runtime}`);
    say(memberTable(status.members));
    return 0;
  },
});
