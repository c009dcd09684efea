import { describe, expect, it } from 'vitest';
import { LOAD_PIZZAS, randomOrder } from './random-order.js';

describe('randomOrder', () => {
  it('orders 1–3 different pizzas from the fixed list, paid by card', () => {
    const sizes = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const order = randomOrder();
      const ids = order.items.map((item) => item.pizzaId);
      sizes.add(ids.length);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(LOAD_PIZZAS).toContain(id);
      expect(order.items.every((item) => item.quantity === 1)).toBe(true);
      expect(order.paymentMethod).toBe('card');
      expect(order.deliveryAddress.length).toBeGreaterThanOrEqual(3);
    }
    expect([...sizes].sort()).toEqual([1, 2, 3]);
  });
});
