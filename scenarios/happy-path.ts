import { allTerminal, defineScenario, invariants, latencyBelow } from './dsl.js';

export default defineScenario({
  name: 'happy-path',
  summary: 'Orders at a steady pace, one in ten paid with the always-declined test card; no fault at all.',
  learn: [
    'the saga: OrderCreated → payment → OrderPaid | PaymentFailed → PAID | CANCELLED → notifications',
    'a declined payment is compensated: the order is cancelled and never charged',
    'the checker’s invariants hold when nothing goes wrong — the baseline for every other scenario',
  ],
  load: { rate: 20, duration: '30s', declineShare: 0.1 },
  timeline: [],
  expect: [...invariants(), allTerminal({ within: '10s' }), latencyBelow(99, '1s')],
});
