import { allTerminal, at, availabilityDuringFault, defineScenario, invariants, recoveredWithin, start, stop } from './dsl.js';

export default defineScenario({
  name: 'kafka-outage',
  summary: 'The Kafka broker is stopped for 15 s.',
  learn: [
    'with the transactional outbox, accepting an order does not need Kafka: the event waits in the database',
    'the relay publishes the backlog when the broker is back, in order per order',
    'consumers reconnect and rejoin their groups by themselves',
  ],
  load: { rate: 10, duration: '45s' },
  timeline: [at('10s', stop('kafka')), at('25s', start('kafka'))],
  expect: [...invariants(), availabilityDuringFault(0.99), allTerminal({ within: '60s' }), recoveredWithin('60s')],
});
