/**
 * The pizza shop's public API as the CLI uses it, through the gateway. Error answers become
 * LabErrors carrying the API's own message.
 */
import { randomUUID } from 'node:crypto';
import type { OrderState } from '../../services/events/index.js';
import { LabError } from './errors.js';

export interface MenuPizza {
  id: string;
  name: string;
  description?: string;
  price: number;
  priceCents: number;
  vegetarian?: boolean;
  spicy?: boolean;
}

export interface OrderView {
  orderId: string;
  status: OrderState;
  total: number;
  currency: string;
  items: { pizzaId: string; name: string; quantity: number; unitPrice: number }[];
  deliveryAddress: string;
  paymentMethod: string;
  cancelReason?: string | null;
  traceId?: string | null;
  createdAt: string;
  updatedAt: string;
  history?: { status: OrderState; at: string; reason?: string | null }[];
}

export interface NewOrder {
  items: { pizzaId: string; quantity: number }[];
  deliveryAddress: string;
  paymentMethod: string;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export function createShopClient(gateway: string) {
  async function call<T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiAnswer<T>> {
    let response: Response;
    try {
      response = await fetch(`${gateway}${path}`, {
        method,
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new LabError(`the gateway at ${gateway} does not answer`, { cause: error, retriable: true, hint: 'check `pizza-lab status`; `pizza-lab up` starts the lab' });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, body: body as T, headers: response.headers };
  }

  function ok<T>(answer: ApiAnswer<T>, what: string): T {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const body = answer.body as { error?: string; message?: string } | undefined;
    throw new LabError(`${what}: ${answer.status} ${body?.message ?? body?.error ?? ''}`.trim(), { retriable: answer.status >= 500 || answer.status === 429, details: { status: answer.status, body } });
  }

  return {
    gateway,
    call,
    async menu(): Promise<MenuPizza[]> {
      return ok(await call<{ pizzas: MenuPizza[] }>('GET', '/api/v1/menu'), 'reading the menu').pizzas;
    },
    /** Places an order with an Idempotency-Key (a fresh one unless given). */
    async placeOrder(order: NewOrder, idempotencyKey: string = randomUUID()): Promise<OrderView> {
      return ok(await call<OrderView>('POST', '/api/v1/orders', { body: order, headers: { 'idempotency-key': idempotencyKey } }), 'placing the order');
    },
    async order(id: string): Promise<OrderView> {
      return ok(await call<OrderView>('GET', `/api/v1/orders/${encodeURIComponent(id)}`), `reading order ${id}`);
    },
    async orders(filter: { status?: OrderState; limit?: number } = {}): Promise<OrderView[]> {
      const query = new URLSearchParams();
      if (filter.status) query.set('status', filter.status);
      if (filter.limit) query.set('limit', String(filter.limit));
      return ok(await call<{ orders: OrderView[] }>('GET', `/api/v1/orders?${query}`), 'listing orders').orders;
    },
  };
}

export type ShopClient = ReturnType<typeof createShopClient>;
