/**
 * `pizza-lab trace <order>` on the shared lab: a paid order's steps in order with their
 * services, a cancelled order's cancellation and its reason, and a clear error for an order
 * that does not exist.
 */
import { describe, expect, it } from 'vitest';
import type { OrderTrace } from '../cli/watch/trace.js';
import { eventually, lab, runCli } from './support/lab.js';

const { plan } = lab();

async function placeAndFinish(paymentMethod: string): Promise<string> {
  const response = await fetch(`${plan.endpoints.gateway}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ pizzaId: 'funghi', quantity: 1 }], deliveryAddress: '3 Trace Road', paymentMethod }),
  });
  const { orderId } = (await response.json()) as { orderId: string };
  // Terminal, and its final email sent: the story is complete.
  await eventually(`order ${orderId} to finish`, async () => {
    const json = JSON.parse((await runCli(['trace', orderId, '--json'])).stdout) as OrderTrace;
    return json.status !== 'PENDING_PAYMENT' && json.missing.length === 0 ? json : undefined;
  }, 30_000);
  return orderId;
}

describe('pizza-lab trace', () => {
  it('lists a paid order’s steps in order, each with its service, relative times and no missing step', async () => {
    const orderId = await placeAndFinish('card');
    const result = await runCli(['trace', orderId.slice(0, 8)]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^order ${orderId}  PAID  trace [0-9a-f]{32}$`));
    const steps = lines.slice(1).map((l) => /^\s+\+[\d.]+ m?s\s+(\S+)\s+(.*)$/.exec(l)).filter(Boolean).map((m) => `${m![1]}: ${m![2]}`);
    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
    expect(index(/^order: accepted the order/)).toBe(0);
    // The saga's steps, each by its service, in the order they happened.
    const order = [/^order: OrderCreated on order-events/, /^payment-provider: charge ch_\w+ succeeded/, /^payment: OrderPaid on payment-events/, /^order: order is PAID/];
    const positions = order.map(index);
    expect(positions.every((p) => p > 0), steps.join('\n')).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(steps.some((s) => /^notification: email "order-paid"/.test(s))).toBe(true);
    expect(result.stdout).not.toContain('missing');

    const json = JSON.parse((await runCli(['trace', orderId, '--json'])).stdout) as OrderTrace;
    expect(json).toMatchObject({ orderId, status: 'PAID', missing: [] });
    expect(json.steps[0]!.offsetMs).toBe(0);
    expect(json.steps.map((s) => s.offsetMs)).toEqual([...json.steps.map((s) => s.offsetMs)].sort((a, b) => a - b));
  });

  it('shows a cancelled order’s cancellation and its reason', async () => {
    const orderId = await placeAndFinish('card-declined');
    const result = await runCli(['trace', orderId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/CANCELLED/);
    expect(result.stdout).toMatch(/payment\s+PaymentFailed on payment-events: the charge was declined: card-declined/);
    expect(result.stdout).not.toMatch(/declined: the charge was declined/); // the reason code is not said twice
    expect(result.stdout).toMatch(/order\s+OrderCancelled on order-events: payment failed: the charge was declined: card-declined/);
    expect(result.stdout).toMatch(/cancelled because payment failed: the charge was declined: card-declined/);
  });

  it('says so when there is no such order (exit 1)', async () => {
    const result = await runCli(['trace', '00000000-0000-4000-8000-000000000000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: no order 00000000-0000-4000-8000-000000000000 — /);
    const bad = await runCli(['trace', 'pizza']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: "pizza" is not an order id/);
  });
});
