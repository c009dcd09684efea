/**
 * `pizza-lab dashboard`: a live full-screen view of the running saga, refreshed every second
 * from every service instance's /metrics, the runtime's member status and the active faults.
 */
import { defineCommand, durationOption } from '../lib/command.js';
import { UsageError } from '../lib/errors.js';
import { say } from '../lib/output.js';
import { requireStack } from '../runtime/index.js';
import { loadViews } from '../ui/load.js';
import { createDashboardModel, createDashboardSource, type DashboardSource } from '../watch/index.js';

// The alternate screen: the view owns the whole terminal and leaves it as it found it.
const ENTER_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_SCREEN = '\u001b[?1049l';

export default defineCommand({
  name: 'dashboard',
  description: 'a live view of the saga: orders/s, states, latency percentiles, consumer lag, outbox backlog, DLQ depth, breakers, members, faults',
  details: [
    'Scrapes every service instance on its own port (not through a fault link), so a fault never hides the figures it causes;',
    'a member that does not answer shows as down. Orders by state come from the order instances\' counters (since each started).',
    'Keys: q, Esc or Ctrl-C quits. A terminal smaller than 100×30 gets a compact layout.',
  ].join('\n'),
  options: [
    { flags: '--interval <duration>', description: 'how often to refresh', parse: durationOption('--interval', { min: 200 }), default: '1s' },
    { flags: '--window <duration>', description: 'how far back the latency percentiles look', parse: durationOption('--window', { min: 1000 }), default: '10s' },
    { flags: '--once', description: 'print one frame (two samples an interval apart) and exit; works without a terminal' },
  ],
  examples: ['pizza-lab dashboard', 'pizza-lab dashboard --window 30s', 'pizza-lab dashboard --once | less'],
  async action(_args, opts, context) {
    const stack = requireStack();
    const intervalMs = opts.interval as number;
    const windowMs = opts.window as number;
    if (!opts.once && !process.stdout.isTTY) throw new UsageError('the live dashboard needs a terminal', { hint: 'use `pizza-lab dashboard --once` to print one frame' });
    const source = createDashboardSource(stack);
    try {
      if (opts.once) {
        const model = createDashboardModel({ windowMs });
        model.add(await source.sample());
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        const data = model.add(await source.sample());
        const columns = process.stdout.columns || 120;
        const { createElement, Dashboard, renderToString } = await loadViews();
        say(renderToString(createElement(Dashboard, { data, columns }), { columns }));
        return 0;
      }
      await live(source, intervalMs, windowMs, context.signal);
      return 0;
    } finally {
      await source.close();
    }
  },
});

/** The full-screen view until q, Esc or Ctrl-C. */
async function live(source: DashboardSource, intervalMs: number, windowMs: number, signal: AbortSignal): Promise<void> {
  process.stdout.write(ENTER_SCREEN);
  const leave = () => process.stdout.write(LEAVE_SCREEN);
  // A second Ctrl-C ends the process at once; the terminal still gets its screen back.
  process.once('exit', leave);
  try {
    const { createElement, DashboardApp, render } = await loadViews();
    const app = render(createElement(DashboardApp, { source, intervalMs, windowMs }), { exitOnCtrlC: false, patchConsole: true });
    // Ctrl-C as a signal (stdin is not a terminal, so no key reaches the view).
    const stop = () => app.unmount();
    signal.addEventListener('abort', stop, { once: true });
    await app.waitUntilExit();
    signal.removeEventListener('abort', stop);
  } finally {
    process.off('exit', leave);
    leave();
  }
}
