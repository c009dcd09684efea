import { allTerminal, at, availabilityDuringFault, defineScenario, invariants, kill, start } from './dsl.js';

export default defineScenario({
  name: 'scale-out',
  summary: 'Three order instances behind the gateway; one is killed under load, then started again.',
  learn: [
    'stateless API instances behind a gateway: losing one costs capacity, not availability',
    'the gateway sends a request to the next instance when the first fails and a retry is safe: a GET, or a POST with an Idempotency-Key',
    'the order service’s consumers rebalance the payment-events partitions among the survivors',
  ],
  requires: { scale: { order: 3 } },
  load: { rate: 20, duration: '40s' },
  timeline: [at('10s', kill('order-2')), at('25s', start('order-2'))],
  expect: [...invariants(), availabilityDuringFault(0.99), allTerminal({ within: '30s' })],
});
