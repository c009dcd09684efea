import { allTerminal, at, defineScenario, failsFast, invariants, recoveredWithin, start, stop } from './dsl.js';

export default defineScenario({
  name: 'db-outage',
  summary: 'PostgreSQL is stopped for 10 s.',
  learn: [
    'without its database the order API cannot promise anything, so it refuses fast: 503 with Retry-After, not a hang',
    'consumers hold their partitions while their database is away; nothing is dead-lettered for an outage',
    'everything accepted before the outage completes after it',
  ],
  load: { rate: 10, duration: '40s' },
  timeline: [at('10s', stop('postgres')), at('20s', start('postgres'))],
  expect: [...invariants(), failsFast(503, '1s'), allTerminal({ within: '60s' }), recoveredWithin('60s')],
});
