import { allTerminal, at, availabilityDuringFault, defineScenario, invariants, kill, recoveredWithin, start } from './dsl.js';

export default defineScenario({
  name: 'payment-outage',
  summary: 'The payment service dies for 20 s while orders keep coming.',
  learn: [
    'Kafka holds OrderCreated while nobody consumes it: the order API keeps accepting orders',
    'when payment comes back it works through the backlog; nothing is lost, nothing is paid twice',
    'recovery time is how long the backlog takes to drain after the restart',
  ],
  load: { rate: 10, duration: '60s' },
  timeline: [at('10s', kill('payment')), at('30s', start('payment'))],
  expect: [...invariants(), allTerminal({ within: '30s' }), recoveredWithin('30s'), availabilityDuringFault(0.99)],
});
