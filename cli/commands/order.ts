import { MAX_QUANTITY, PAYMENT_METHODS, TERMINAL_STATES, type OrderState } from '../../services/events/index.js';
import { collect, defineCommand, durationOption, intOption } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { LabError, UsageError } from '../lib/errors.js';
import { color, say } from '../lib/output.js';
import { createShopClient, type MenuPizza, type OrderView } from '../lib/shop-client.js';
import { requireStack } from '../runtime/index.js';
import { euros, formatRecord, openEventStream, serviceOf, type WatchedRecord } from '../watch/index.js';

const DEFAULT_ADDRESS = '1 Lab Street, Pizzatown';

/** "margherita:2" or "Quattro Formaggi:1" → a menu pizza and a quantity. */
export function parsePizzaSpecs(specs: readonly string[], menu: readonly MenuPizza[]): { pizzaId: string; quantity: number }[] {
  const lines = new Map<string, number>();
  for (const spec of specs.length > 0 ? specs : ['margherita:1']) {
    if (spec.includes(',')) throw new UsageError(`--pizza ${spec}: one pizza per --pizza`, { hint: 'repeat the flag: --pizza margherita:2 --pizza funghi:1' });
    // Everything after the last colon is the quantity (names have no colon).
    const colon = spec.lastIndexOf(':');
    const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
    const quantityText = colon < 0 ? '1' : spec.slice(colon + 1).trim();
    const pizza = menu.find((p) => p.id === name || p.name.toLowerCase() === name || p.id === name.replace(/\s+/g, '-'));
    if (!pizza) throw new UsageError(`--pizza ${spec}: there is no such pizza`, { hint: `the menu has: ${menu.map((p) => p.id).join(', ')}` });
    const quantity = /^\d+$/.test(quantityText) ? Number(quantityText) : Number.NaN;
    const total = (lines.get(pizza.id) ?? 0) + quantity;
    if (!(quantity >= 1 && total <= MAX_QUANTITY)) throw new UsageError(`--pizza ${spec}: the quantity must be a whole number from 1 to ${MAX_QUANTITY}${total > MAX_QUANTITY && quantity <= MAX_QUANTITY ? ` (${total} ${pizza.id} in all)` : ''}`);
    lines.set(pizza.id, total);
  }
  return [...lines].map(([pizzaId, quantity]) => ({ pizzaId, quantity }));
}

const isTerminal = (status: OrderState) => TERMINAL_STATES.includes(status);

export default defineCommand({
  name: 'order',
  description: 'place orders through the gateway, and with --follow watch each saga step until PAID or CANCELLED',
  details: `Payment methods: ${PAYMENT_METHODS.join(', ')} ("card-declined" is a test card the provider always declines).`,
  options: [
    { flags: '-p, --pizza <name:qty>', description: `a pizza and how many, 1 to ${MAX_QUANTITY} (repeatable); default margherita:1`, parse: collect },
    { flags: '-a, --address <text>', description: 'delivery address', default: DEFAULT_ADDRESS },
    { flags: '--payment <method>', description: 'payment method', choices: PAYMENT_METHODS, default: 'card' },
    { flags: '-n, --count <n>', description: 'how many orders to place', parse: intOption('--count', { min: 1, max: 1000 }), default: 1 },
    { flags: '-f, --follow', description: 'print each saga step as it happens until every order is PAID or CANCELLED' },
    { flags: '--timeout <duration>', description: 'how long --follow waits for the saga', parse: durationOption('--timeout'), default: '60s' },
    { flags: '--json', description: 'one JSON object per order (with its steps when following)' },
  ],
  examples: [
    'pizza-lab order',
    'pizza-lab order --pizza margherita:2 --pizza funghi --follow',
    'pizza-lab order --payment card-declined --follow     # watch the compensation',
    'pizza-lab order --count 20 --json',
  ],
  async action(_args, opts, context) {
    const stack = requireStack();
    const shop = createShopClient(stack.plan.endpoints.gateway);
    const items = parsePizzaSpecs((opts.pizza as string[] | undefined) ?? [], await shop.menu());
    const body = { items, deliveryAddress: opts.address as string, paymentMethod: opts.payment as string };
    const count = opts.count as number;
    const json = Boolean(opts.json);
    const follow = Boolean(opts.follow);
    const timeoutMs = opts.timeout as number;

    // Open the event stream before placing anything, so no step is missed.
    const steps = new Map<string, WatchedRecord[]>();
    const startedAt = new Map<string, number>();
    // Records arrive topic by topic; they are held briefly and printed in time order.
    let queue: WatchedRecord[] = [];
    const flush = () => {
      const ready = queue.filter((r) => steps.has(r.event!.subject!)).sort((a, b) => a.timestamp - b.timestamp);
      queue = queue.filter((r) => !steps.has(r.event!.subject!));
      for (const record of ready) {
        const orderId = record.event!.subject!;
        steps.get(orderId)!.push(record);
        if (!json) say(`${formatRecord(record, { color, relativeTo: startedAt.get(orderId), showTopic: false })}  ${color.dim(`← ${serviceOf(record.event!)}`)}`);
      }
    };
    const stream = follow
      ? await openEventStream({
          brokers: stack.plan.endpoints.kafka,
          from: { kind: 'latest' },
          onRecord: (record) => {
            if (record.event?.subject && record.event.type !== 'DeadLettered') queue.push(record);
          },
        })
      : undefined;

    const placed: OrderView[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const sent = Date.now();
        const order = await shop.placeOrder(body);
        placed.push(order);
        steps.set(order.orderId, []);
        startedAt.set(order.orderId, sent);
        if (!json) say(`${color.bold(`order ${order.orderId}`)} accepted: ${order.items.map((l) => `${l.quantity}× ${l.name}`).join(', ')} — ${euros(Math.round(order.total * 100))} — ${order.status}`);
        else if (!follow) say(JSON.stringify(order));
      }
      if (!stream) return 0;

      const deadline = Date.now() + timeoutMs;
      const final = new Map<string, OrderView>();
      while (final.size < placed.length) {
        if (context.signal.aborted) throw new LabError('interrupted', { exitCode: 130 });
        if (Date.now() > deadline) {
          const stuck = placed.filter((o) => !final.has(o.orderId)).map((o) => o.orderId.slice(0, 8));
          throw new LabError(`${stuck.length} order(s) still not PAID or CANCELLED after ${formatDuration(timeoutMs)}: ${stuck.join(', ')}`, {
            hint: 'is every service up? `pizza-lab status`; where did it stop? `pizza-lab trace <order>`',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
        flush();
        for (const order of placed) {
          if (final.has(order.orderId)) continue;
          const seenTerminalEvent = steps.get(order.orderId)!.some((r) => r.event?.type === 'OrderPaid' || r.event?.type === 'OrderCancelled');
          if (!seenTerminalEvent) continue;
          const now = await shop.order(order.orderId);
          if (isTerminal(now.status)) final.set(order.orderId, now);
        }
      }
      // The final notification follows the terminal state closely; give it a moment to show.
      await new Promise((resolve) => setTimeout(resolve, 500));
      flush();
      for (const order of placed) {
        const view = final.get(order.orderId)!;
        const took = new Date(view.updatedAt).getTime() - new Date(view.createdAt).getTime();
        if (json) {
          say(JSON.stringify({ ...view, steps: steps.get(order.orderId)!.map((r) => ({ time: new Date(r.timestamp).toISOString(), type: r.event!.type, service: serviceOf(r.event!), data: r.event!.data })) }));
        } else {
          const state = view.status === 'PAID' ? color.green.bold('PAID') : color.yellow.bold('CANCELLED');
          say(`${color.bold(`order ${order.orderId.slice(0, 8)}`)} is ${state} — ${formatDuration(took)} from created to ${view.status.toLowerCase()}${view.cancelReason ? ` (${view.cancelReason})` : ''}`);
        }
      }
      return 0;
    } finally {
      await stream?.stop();
    }
  },
});
