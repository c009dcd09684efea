import type { NewOrder } from '../lib/shop-client.js';

/** Pizzas every menu of the lab has; the load picks from these without reading the menu first. */
export const LOAD_PIZZAS = ['margherita', 'pepperoni', 'funghi', 'quattro-formaggi', 'diavola', 'hawaii'] as const;

/** An order of 1–3 different pizzas (one of each), paid by card. */
export function randomOrder(random: () => number = Math.random): NewOrder {
  const pool: string[] = [...LOAD_PIZZAS];
  const count = 1 + Math.floor(random() * 3);
  const items = Array.from({ length: count }, () => ({ pizzaId: pool.splice(Math.floor(random() * pool.length), 1)[0]!, quantity: 1 }));
  return { items, deliveryAddress: '1 Load Test Lane, Pizzatown', paymentMethod: 'card' };
}
