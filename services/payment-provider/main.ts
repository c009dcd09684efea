/** The payment provider: a mock bank whose charges are idempotent and whose failures are set at runtime. */
import { runService } from '../kit/index.js';
import { registerRoutes } from './http.js';

await runService({
  needs: { postgres: true },
  title: 'pizza-lab payment provider (bank mock)',
  description: 'Charges orders, idempotent on the Idempotency-Key header. PUT /control makes it decline, fail, slow down or go down.',
  async start(kit, app) {
    registerRoutes(app, kit);
  },
});
