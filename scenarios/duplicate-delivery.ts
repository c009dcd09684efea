import { allTerminal, at, defineScenario, invariants, rewindOffsets } from './dsl.js';

export default defineScenario({
  name: 'duplicate-delivery',
  summary: 'Consumer groups are rewound, so payment and order receive events they already handled.',
  learn: [
    'Kafka delivers at least once: after a crash or a rewind, events come again',
    'the inbox (consumer, event id) written in the same transaction as the effect makes a second delivery change nothing',
    'no second charge, no second state change, no second email',
  ],
  load: { rate: 10, duration: '30s' },
  timeline: [at('12s', rewindOffsets('payment-service', 'order-events', 40)), at('18s', rewindOffsets('order-service', 'payment-events', 40)), at('22s', rewindOffsets('notification-service', 'order-events', 40))],
  expect: [...invariants(), allTerminal({ within: '30s' })],
});
