import { defineCommand, intOption } from '../lib/command.js';
import { labHome } from '../lib/paths.js';
import { findStack } from '../runtime/index.js';
import { homePaths } from '../runtime/native/home.js';
import { LOG_LIMIT_BYTES } from '../runtime/native/log-files.js';
import { writeMemberLog } from '../runtime/native/native-stack.js';

export default defineCommand({
  name: 'logs',
  description: "print a member's log (works after a failed start too)",
  details: `Logs are in .pizza-lab/logs/<member>.log. Past ${LOG_LIMIT_BYTES / 2 ** 20} MiB a log's content moves to <member>.log.1 (replacing the part before) and the log starts again.`,
  arguments: [{ name: 'member', description: 'kafka, postgres, fault-proxy, a service, or supervisor', required: true }],
  options: [
    { flags: '-f, --follow', description: 'keep printing new lines until Ctrl-C' },
    { flags: '-n, --lines <n>', description: 'how many lines from the end', parse: intOption('--lines', { min: 1 }), default: 200 },
  ],
  examples: ['pizza-lab logs kafka', 'pizza-lab logs payment -f', 'pizza-lab logs supervisor -n 50'],
  async action([member], opts, context) {
    const options = { follow: Boolean(opts.follow), lines: opts.lines as number, signal: context.signal };
    const stack = findStack();
    if (stack) await stack.logs(member!, process.stdout, options);
    else await writeMemberLog(homePaths(labHome()), member!, process.stdout, options);
    return 0;
  },
});
