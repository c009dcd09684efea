import { defineCommand } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { color, say, sayJson } from '../lib/output.js';
import { requireStack } from '../runtime/index.js';
import { NativeStack } from '../runtime/native/native-stack.js';
import { adminPool } from '../verify/gather.js';
import { relative } from '../watch/format.js';
import { resolveOrderId, traceOrder, type MemberEvent } from '../watch/trace.js';

const SERVICE_COLORS: Record<string, (text: string) => string> = {
  order: color.cyan,
  payment: color.green,
  'payment-provider': color.greenBright,
  notification: color.blue,
  dlq: color.magenta,
};

export default defineCommand({
  name: 'trace',
  description: 'the saga of one order as a timeline across services, with gaps named and missing steps flagged',
  arguments: [{ name: 'order', description: 'the order id (or its first 8 characters)', required: true }],
  options: [{ flags: '--json', description: 'print {orderId, status, steps, gaps, missing} as JSON' }],
  examples: ['pizza-lab trace 3f2a9c1e', 'pizza-lab trace 3f2a9c1e-…-… --json'],
  async action([text], opts) {
    const stack = requireStack();
    const db = adminPool(stack.plan, 4);
    try {
      const orderId = await resolveOrderId(db, text!);
      const memberEvents: MemberEvent[] = stack instanceof NativeStack ? (await stack.state()).events : [];
      const trace = await traceOrder(stack.plan, db, orderId, memberEvents);
      if (opts.json) {
        sayJson(trace);
        return 0;
      }
      const state = trace.status === 'PAID' ? color.green.bold('PAID') : trace.status === 'CANCELLED' ? color.yellow.bold('CANCELLED') : color.red.bold(trace.status);
      say(`${color.bold(`order ${trace.orderId}`)}  ${state}${trace.traceId ? color.dim(`  trace ${trace.traceId}`) : ''}`);
      trace.steps.forEach((step, i) => {
        const paint = SERVICE_COLORS[step.service] ?? ((t: string) => t);
        say(`${color.dim(relative(step.offsetMs).padStart(10))}  ${paint(step.service.padEnd(16))} ${step.what}${step.source === 'kafka' ? '' : color.dim('  (db)')}`);
        const gap = trace.gaps.find((g) => g.afterStep === i);
        if (gap) say(`${' '.repeat(12)}${color.yellow(`⋯ waited ${formatDuration(gap.ms)} for ${gap.waitingFor}${gap.explanation ? ` — ${gap.explanation}` : ''}`)}`);
      });
      for (const m of trace.missing) say(`${' '.repeat(12)}${color.red(`✗ missing: ${m}`)}`);
      if (trace.cancelReason) say(`${color.dim('cancelled because')} ${trace.cancelReason}`);
      return 0;
    } finally {
      await db.end();
    }
  },
});
