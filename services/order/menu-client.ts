/**
 * Prices come from the menu, which the frontend service owns. The order service asks it over
 * HTTP (through its `order-frontend` link) and keeps the last answer: a stale menu is better than
 * refusing orders while the frontend is briefly away.
 */
import { TransientError, UnavailableError, type Logger } from '../kit/index.js';

export interface MenuPizza {
  id: string;
  name: string;
  priceCents: number;
}

export interface MenuClient {
  /** The pizza with this id, or undefined when the menu has no such pizza. */
  find(pizzaId: string, traceparent?: string): Promise<MenuPizza | undefined>;
}

export function createMenuClient(options: { baseUrls: readonly string[]; logger: Logger; ttlMs?: number }): MenuClient {
  const ttlMs = options.ttlMs ?? 10_000;
  let cached: { at: number; pizzas: Map<string, MenuPizza> } | undefined;
  let inflight: Promise<Map<string, MenuPizza>> | undefined;
  let next = 0;

  async function fetchMenu(traceparent?: string): Promise<Map<string, MenuPizza>> {
    const base = options.baseUrls[next++ % options.baseUrls.length];
    const response = await fetch(`${base}/api/v1/menu`, { signal: AbortSignal.timeout(2000), headers: traceparent ? { traceparent } : {} });
    if (!response.ok) throw new TransientError(`the menu answered ${response.status}`);
    const body = (await response.json()) as { pizzas: MenuPizza[] };
    return new Map(body.pizzas.map((p) => [p.id, { id: p.id, name: p.name, priceCents: p.priceCents }]));
  }

  async function menu(traceparent?: string): Promise<Map<string, MenuPizza>> {
    if (cached && Date.now() - cached.at < ttlMs) return cached.pizzas;
    inflight ??= fetchMenu(traceparent)
      .then((pizzas) => {
        cached = { at: Date.now(), pizzas };
        return pizzas;
      })
      .finally(() => {
        inflight = undefined;
      });
    try {
      return await inflight;
    } catch (error) {
      if (cached) {
        options.logger.warn({ err: (error as Error).message }, 'menu unavailable; using the last one seen');
        return cached.pizzas;
      }
      throw new UnavailableError('the menu is unavailable, so orders cannot be priced; try again shortly', { cause: error });
    }
  }

  return {
    async find(pizzaId, traceparent) {
      return (await menu(traceparent)).get(pizzaId);
    },
  };
}
