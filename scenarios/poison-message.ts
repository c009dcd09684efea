import { allTerminal, at, deadLettered, defineScenario, invariants, poison } from './dsl.js';

export default defineScenario({
  name: 'poison-message',
  summary: 'Malformed records are produced straight to the saga topics while orders flow.',
  learn: [
    'a record that cannot be processed must not block its partition forever',
    'it goes to the dead-letter topic with its origin (topic, partition, offset, key, headers) and the error',
    'the consumer moves on: the orders behind it still complete',
  ],
  load: { rate: 10, duration: '20s' },
  timeline: [at('5s', poison('order-events', 3)), at('8s', poison('payment-events', 2))],
  expect: [...invariants(), deadLettered(5), allTerminal({ within: '20s' })],
});
