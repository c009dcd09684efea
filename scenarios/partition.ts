import { allTerminal, at, defineScenario, heal, invariants, partition, recoveredWithin } from './dsl.js';

export default defineScenario({
  name: 'partition',
  summary: 'The payment service is cut off from Kafka for 20 s (the process keeps running), then reconnected.',
  learn: [
    'a network partition is not a crash: the process lives on, its Kafka connections just stop working',
    'the consumer group notices, rebalances and redelivers what was not committed',
    'redelivered events are absorbed by the inbox (idempotent consumer) and the idempotency key at the provider',
  ],
  load: { rate: 10, duration: '50s' },
  timeline: [at('10s', partition('payment', 'kafka')), at('30s', heal())],
  expect: [...invariants(), allTerminal({ within: '45s' }), recoveredWithin('45s')],
});
