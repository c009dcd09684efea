import { allTerminal, at, defineScenario, invariants, provider, recoveredWithin, replayDeadLetters } from './dsl.js';

export default defineScenario({
  name: 'provider-outage',
  summary: 'The payment provider answers 5xx to every charge for 20 s.',
  learn: [
    'transient errors are retried with exponential backoff and full jitter, a bounded number of times',
    'after repeated failures the circuit breaker opens and the consumer pauses its partitions instead of burning retries',
    'when the provider recovers the breaker closes (half-open trial first); whatever reached the DLQ is replayed',
  ],
  load: { rate: 10, duration: '50s' },
  timeline: [at('10s', provider('errors', { rate: 1 })), at('30s', provider('ok'))],
  rollback: [replayDeadLetters()],
  expect: [...invariants(), allTerminal({ within: '60s' }), recoveredWithin('60s')],
});
