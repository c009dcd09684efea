/** The frontend service: the menu (with its prices) and the web shop's static files. */
import fastifyStatic from '@fastify/static';
import { runService, serviceDir } from '../kit/index.js';
import { registerRoutes } from './http.js';

await runService({
  needs: { postgres: true },
  title: 'pizza-lab menu API',
  description: 'The pizzas and their prices; also serves the web shop.',
  async start(kit, app) {
    registerRoutes(app, kit);
    // Served from the source folder: the shop is plain files with no build step.
    await app.register(fastifyStatic, { root: serviceDir('frontend', 'public'), prefix: '/', index: ['index.html'] });
  },
});
