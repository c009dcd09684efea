import { allTerminal, at, defineScenario, invariants, provider } from './dsl.js';

export default defineScenario({
  name: 'slow-provider',
  summary: 'The provider charges, then answers after 3 s — longer than the payment service waits.',
  learn: [
    'a timeout does not mean the charge failed: the outcome is unknown',
    'the payment is retried with the same Idempotency-Key, so the provider returns the charge it already made',
    'never charged twice, even though the first answer never arrived',
  ],
  load: { rate: 10, duration: '40s' },
  timeline: [at('5s', provider('slow', { latencyMs: 3000 })), at('20s', provider('ok'))],
  rollback: [],
  expect: [...invariants(), allTerminal({ within: '60s' })],
});
