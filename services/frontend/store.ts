/** The frontend service's SQL: the menu. */
import type { Pool } from '../kit/index.js';

export interface PizzaRow {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  vegetarian: boolean;
  spicy: boolean;
}

/** Every pizza on the menu, in menu order. */
export async function listPizzas(pool: Pool): Promise<PizzaRow[]> {
  const { rows } = await pool.query<PizzaRow>(
    'SELECT id, name, description, price_cents AS "priceCents", vegetarian, spicy FROM menu ORDER BY position, id',
  );
  return rows;
}
