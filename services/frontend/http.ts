/**
 * The menu API: the pizzas with their prices. The shop shows it and the order service prices
 * orders from it (it reads `id`, `name` and `priceCents`).
 */
import type { FastifyInstance } from 'fastify';
import { errorResponses, type ServiceKit } from '../kit/index.js';
import { listPizzas, type PizzaRow } from './store.js';

const pizzaOut = {
  type: 'object',
  required: ['id', 'name', 'description', 'price', 'priceCents', 'currency', 'vegetarian', 'spicy'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'stable id to order it by, e.g. `margherita`' },
    name: { type: 'string' },
    description: { type: 'string' },
    price: { type: 'number', description: 'in euros, e.g. 8.5' },
    priceCents: { type: 'integer', minimum: 1, description: 'the same price in cents, e.g. 850' },
    currency: { type: 'string', enum: ['EUR'] },
    vegetarian: { type: 'boolean' },
    spicy: { type: 'boolean' },
  },
} as const;

const menuOut = {
  type: 'object',
  required: ['pizzas'],
  properties: { pizzas: { type: 'array', items: pizzaOut } },
} as const;

function present(pizza: PizzaRow) {
  return { ...pizza, price: pizza.priceCents / 100, currency: 'EUR' };
}

export function registerRoutes(app: FastifyInstance, kit: Pick<ServiceKit, 'pool'>): void {
  app.get(
    '/api/v1/menu',
    {
      schema: {
        summary: 'The menu',
        description: 'Every pizza with its price. Orders are priced from this list.',
        tags: ['menu'],
        response: { 200: { description: 'the pizzas, in menu order', ...menuOut }, ...errorResponses(500, 503) },
      },
    },
    async () => {
      const pizzas = await listPizzas(kit.pool);
      return { pizzas: pizzas.map(present) };
    },
  );
}
