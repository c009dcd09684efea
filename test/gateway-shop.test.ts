/**
 * The shop as its users meet it, through the gateway: the menu, placing orders (priced from the
 * menu, idempotent), bad input answered and survived, round-robin over the order instances, the
 * rate limit, an order upstream cut off, the one OpenAPI document, and the web shop itself in a
 * real headless Chromium, following an order's saga to PAID and another to CANCELLED.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually, lab } from './support/lab.js';
import { freePortBlock } from './support/ports.js';

const { plan } = lab();
const gateway = plan.endpoints.gateway;
const distMain = (service: string) => fileURLToPath(new URL(`../dist/services/${service}/main.js`, import.meta.url));
const running = plan.instances.filter((i) => existsSync(distMain(i.service)));
const orderInstances = plan.instances.filter((i) => i.service === 'order');
const gatewayEnv = plan.instances.find((i) => i.service === 'gateway')!.env;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON (or the text when it is not JSON); `any` keeps the assertions short. */
  body: any;
}

async function call(method: string, path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string>; base?: string } = {}): Promise<Answer> {
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(`${init.base ?? gateway}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, and the assertions on it will say so
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const order = (items: { pizzaId: string; quantity: number }[], paymentMethod = 'card') => ({ items, deliveryAddress: `Via Test ${randomUUID().slice(0, 8)}, Napoli`, paymentMethod });

/** Sum of a Prometheus metric's series at `base`/metrics whose labels pass `match`. */
async function metric(base: string, name: string, match: (labels: string) => boolean = () => true): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const end = line.lastIndexOf('}');
    if (match(line.slice(name.length + 1, end))) sum += Number(line.slice(end + 2));
  }
  return sum;
}

const instanceUrl = (port: number) => `http://${plan.host}:${port}`;

async function setLink(name: string, enabled: boolean): Promise<void> {
  const response = await fetch(`${plan.endpoints.faultApi}/proxies/${name}`, { method: 'POST', body: JSON.stringify({ enabled }), headers: { 'content-type': 'application/json' } });
  expect(response.status, `fault API answer for ${name}`).toBe(200);
}

async function menuPrices(): Promise<Map<string, number>> {
  const menu = await call('GET', '/api/v1/menu');
  return new Map((menu.body.pizzas as { id: string; priceCents: number }[]).map((p) => [p.id, p.priceCents]));
}

describe('the API through the gateway', () => {
  it('lists the menu: at least six pizzas with prices', async () => {
    const { status, body, headers } = await call('GET', '/api/v1/menu');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.pizzas.length).toBeGreaterThanOrEqual(6);
    expect(body.pizzas.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['margherita', 'pepperoni', 'quattro-formaggi', 'funghi', 'diavola', 'hawaii']));
    for (const pizza of body.pizzas) {
      expect(pizza).toEqual({
        id: expect.stringMatching(/^[a-z0-9-]+$/),
        name: expect.any(String),
        description: expect.any(String),
        price: pizza.priceCents / 100,
        priceCents: expect.any(Number),
        currency: 'EUR',
        vegetarian: expect.any(Boolean),
        spicy: expect.any(Boolean),
      });
      expect(pizza.priceCents).toBeGreaterThan(0);
    }
  });

  it('places an order priced from the menu, then shows it', async () => {
    const prices = await menuPrices();
    const placed = await call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'margherita', quantity: 2 }, { pizzaId: 'quattro-formaggi', quantity: 1 }]) });
    expect(placed.status).toBe(201);
    const expectedCents = 2 * prices.get('margherita')! + prices.get('quattro-formaggi')!;
    expect(placed.body).toMatchObject({ orderId: expect.stringMatching(UUID), status: 'PENDING_PAYMENT', total: expectedCents / 100, currency: 'EUR' });
    expect(placed.headers.get('location')).toBe(`/api/v1/orders/${placed.body.orderId}`);

    const shown = await call('GET', placed.headers.get('location')!);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ orderId: placed.body.orderId, total: expectedCents / 100 });
    expect(shown.body.history[0]).toMatchObject({ status: 'PENDING_PAYMENT' });
  });

  it('replays an order sent again with the same Idempotency-Key instead of placing it twice', async () => {
    const key = `test-${randomUUID()}`;
    const body = order([{ pizzaId: 'funghi', quantity: 3 }]);
    const first = await call('POST', '/api/v1/orders', { body, headers: { 'idempotency-key': key } });
    const again = await call('POST', '/api/v1/orders', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(again.headers.get('location')).toBe(`/api/v1/orders/${first.body.orderId}`);
  });

  it('sends consecutive requests to every order instance in turn', async () => {
    const n = orderInstances.length;
    expect(n).toBeGreaterThanOrEqual(2);
    const route = (labels: string) => labels.includes('route="/api/v1/orders/:id"');
    const served = () => Promise.all(orderInstances.map((i) => metric(instanceUrl(i.port), 'http_request_duration_seconds_count', route)));
    const gatewayCounts = () => Promise.all(orderInstances.map((_, k) => metric(gateway, 'gateway_upstream_requests_total', (l) => l.includes(`upstream="order-${k + 1}"`) && l.includes('status="404"'))));
    const [before, gatewayBefore] = [await served(), await gatewayCounts()];
    for (let i = 0; i < 5 * n; i++) expect((await call('GET', `/api/v1/orders/${randomUUID()}`)).status).toBe(404);
    const [after, gatewayAfter] = [await served(), await gatewayCounts()];
    const perInstance = after.map((count, k) => count - before[k]!);
    expect(perInstance.reduce((a, b) => a + b)).toBe(5 * n);
    // Strict turns give each instance 5; a little slack for an instance briefly passed over.
    for (const count of perInstance) expect(count).toBeGreaterThanOrEqual(3);
    // The gateway counts them per instance too (upstream="order-1"…).
    expect(gatewayAfter.map((count, k) => count - gatewayBefore[k]!)).toEqual(perInstance);
  });

  it('answers bad input with a clear 4xx, and every service stays healthy', async () => {
    const forwarded413 = () => metric(gateway, 'gateway_upstream_requests_total', (l) => l.includes('status="413"'));
    const relayed413Before = await forwarded413();
    const cases: { name: string; send: () => Promise<Answer>; status: number; error?: string; mentions?: string }[] = [
      { name: 'malformed JSON', send: () => call('POST', '/api/v1/orders', { raw: '{"items": [' }), status: 400, error: 'malformed-json' },
      { name: 'missing field', send: () => call('POST', '/api/v1/orders', { body: { items: [{ pizzaId: 'margherita', quantity: 1 }], paymentMethod: 'card' } }), status: 400, mentions: 'deliveryAddress' },
      { name: 'wrong type', send: () => call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'margherita', quantity: 'lots' as unknown as number }]) }), status: 400, mentions: 'quantity' },
      { name: 'unknown pizza', send: () => call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'pineapple-only', quantity: 1 }]) }), status: 422, mentions: 'pineapple-only' },
      { name: 'quantity 0', send: () => call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'margherita', quantity: 0 }]) }), status: 400, mentions: 'quantity' },
      { name: 'quantity 1000', send: () => call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'margherita', quantity: 1000 }]) }), status: 400, mentions: 'quantity' },
      { name: 'body over 16 KiB', send: () => call('POST', '/api/v1/orders', { body: { ...order([{ pizzaId: 'margherita', quantity: 1 }]), deliveryAddress: 'x'.repeat(17 * 1024) } }), status: 413, error: 'payload-too-large' },
      { name: 'unknown order', send: () => call('GET', `/api/v1/orders/${randomUUID()}`), status: 404, error: 'not-found' },
      { name: 'non-uuid order id', send: () => call('GET', '/api/v1/orders/not-a-uuid'), status: 400, mentions: 'id' },
    ];
    for (const c of cases) {
      const answer = await c.send();
      expect(answer.status, c.name).toBe(c.status);
      expect(answer.headers.get('content-type'), c.name).toMatch(/^application\/json/);
      expect(answer.body, c.name).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.any(String) }));
      if (c.error) expect(answer.body.error, c.name).toBe(c.error);
      if (c.mentions) expect(answer.body.message, c.name).toContain(c.mentions);
    }
    // The oversized body was refused by the gateway itself, never forwarded.
    expect(await forwarded413()).toBe(relayed413Before);

    for (const instance of running) {
      const health = await call('GET', '/health', { base: instanceUrl(instance.port) });
      expect(health.status, `${instance.member} /health`).toBe(200);
    }
  });

  it('describes the whole API in one OpenAPI 3 document, with every answer it can give', async () => {
    const { status, body } = await call('GET', '/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/v1/orders', '/api/v1/orders/{id}', '/api/v1/menu']));
    const codes = (path: string, method: string) => Object.keys(body.paths[path][method].responses);
    expect(codes('/api/v1/orders', 'post')).toEqual(expect.arrayContaining(['201', '200', '400', '413', '422', '429', '502', '503', '504']));
    expect(codes('/api/v1/orders/{id}', 'get')).toEqual(expect.arrayContaining(['200', '400', '404', '429', '502', '503', '504']));
    expect(codes('/api/v1/menu', 'get')).toEqual(expect.arrayContaining(['200', '429', '502', '503', '504']));
    const rateLimited = body.paths['/api/v1/menu'].get.responses['429'];
    expect(rateLimited.content['application/json'].schema.required).toEqual(['error', 'message']);
  });
});

describe('the gateway protecting the services', () => {
  it('answers 429 with Retry-After over its rate limit (a gateway of its own with a tiny limit)', async () => {
    const port = await freePortBlock(1);
    const child = spawn(process.execPath, [distMain('gateway')], {
      env: { ...process.env, ...gatewayEnv, SERVICE_INSTANCE: 'gateway-rate-test', HTTP_PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_RPS: '0.2', RATE_LIMIT_BURST: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const base = `http://${plan.host}:${port}`;
    try {
      await eventually(`the test gateway on ${base} (stderr: ${stderr})`, async () => (await fetch(`${base}/health`)).ok, 20_000);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await call('GET', '/api/v1/menu', { base }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
      const limited = answers[2]!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.body).toEqual({ error: 'rate-limited', message: expect.stringContaining('retry after'), details: { retryAfterSeconds: Number(limited.headers.get('retry-after')) } });
      expect(await metric(base, 'gateway_rate_limited_total', (l) => l.includes('reason="rate"'))).toBe(2);
      // The web shop's files are not rate limited.
      expect((await call('GET', '/', { base })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('answers 503 JSON naming the order service when every order instance is cut off, and recovers', async () => {
    const links = plan.proxies.filter((p) => p.link === 'gateway-order').map((p) => p.name);
    expect(links).toHaveLength(orderInstances.length);
    try {
      for (const link of links) await setLink(link, false);
      for (const answer of [await call('GET', `/api/v1/orders/${randomUUID()}`), await call('POST', '/api/v1/orders', { body: order([{ pizzaId: 'margherita', quantity: 1 }]) })]) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('1');
        expect(answer.body).toMatchObject({ error: 'upstream-unavailable', message: expect.stringContaining('order service'), details: { upstream: 'order' } });
      }
      // The rest of the shop is unaffected.
      expect((await call('GET', '/api/v1/menu')).status).toBe(200);
    } finally {
      for (const link of links) await setLink(link, true);
    }
    await eventually('orders to answer again through the gateway', async () => (await call('GET', `/api/v1/orders/${randomUUID()}`)).status === 404, 20_000);
  });
});

describe('the web shop in a browser', () => {
  it('orders a pizza and follows its saga live to PAID, and a declined one to CANCELLED', async () => {
    const userDataDir = await mkdtemp(join(tmpdir(), 'pizza-shop-chromium-'));
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const pageErrors: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      // The first order attempt dies on the network; pressing Order again must resend the same Idempotency-Key.
      const keys: string[] = [];
      let dropNext = true;
      await page.route('**/api/v1/orders', async (route) => {
        keys.push(route.request().headers()['idempotency-key']!);
        if (dropNext) {
          dropNext = false;
          return route.abort('connectionreset');
        }
        return route.continue();
      });

      await page.goto(gateway);
      const prices = await menuPrices();
      await page.getByTestId('qty-inc-margherita').click();
      await page.getByTestId('qty-inc-margherita').click();
      await page.getByTestId('qty-inc-funghi').click();
      const totalCents = 2 * prices.get('margherita')! + prices.get('funghi')!;
      await expect.poll(() => page.getByTestId('cart-total').textContent()).toBe(`€${(totalCents / 100).toFixed(2)}`);

      const address = `Via Browser ${randomUUID().slice(0, 8)}, Napoli`;
      await page.getByTestId('address').fill(address);
      await page.getByTestId('payment-method').selectOption('card');
      await page.getByTestId('place-order').click();
      await expect.poll(() => page.getByTestId('order-error').textContent()).toContain('could not be reached');
      await page.getByTestId('place-order').click();

      await page.getByTestId('status').waitFor({ state: 'visible' });
      const orderId = (await page.getByTestId('order-id').textContent())!;
      expect(orderId).toMatch(UUID);
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      await page.locator('[data-testid="timeline-step"][data-status="PENDING_PAYMENT"]').waitFor();
      await page.locator('[data-testid="order-status"][data-status="PAID"]').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="timeline-step"][data-status="PAID"]').waitFor();
      expect(await page.getByTestId('order-total').textContent()).toBe(`€${(totalCents / 100).toFixed(2)}`);

      // What the shop showed is what the API holds, placed once (the retry was a replay).
      const shown = await call('GET', `/api/v1/orders/${orderId}`);
      expect(shown.body).toMatchObject({ status: 'PAID', total: totalCents / 100, deliveryAddress: address });
      const replay = await call('POST', '/api/v1/orders', {
        body: { items: [{ pizzaId: 'margherita', quantity: 2 }, { pizzaId: 'funghi', quantity: 1 }], deliveryAddress: address, paymentMethod: 'card' },
        headers: { 'idempotency-key': keys[0]! },
      });
      expect(replay).toMatchObject({ status: 200, body: { orderId } });

      // The test card is declined: the saga compensates and the shop says why.
      await page.getByTestId('new-order').click();
      await page.getByTestId('qty-inc-diavola').click();
      await page.getByTestId('address').fill(address);
      await page.getByTestId('payment-method').selectOption('card-declined');
      await page.getByTestId('place-order').click();
      await page.locator('[data-testid="order-status"][data-status="CANCELLED"]').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('cancel-reason').isVisible()).toBe(true);
      expect(await page.getByTestId('cancel-reason').textContent()).toMatch(/declined/i);
      expect(keys).toHaveLength(3);
      expect(keys[2]).not.toBe(keys[0]);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    }
  });
});
