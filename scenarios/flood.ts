import { allTerminal, defineScenario, highestSustainableRateRecorded, invariants, shedsLoad } from './dsl.js';

export default defineScenario({
  name: 'flood',
  summary: 'The offered rate doubles every few seconds until the latency objective breaks.',
  learn: [
    'an open-model load keeps arriving whether the system keeps up or not: that is what real traffic does',
    'the highest rate that still meets the objective is the system’s real capacity',
    'past it the gateway sheds load with 429 + Retry-After instead of letting every request get slow',
  ],
  load: {
    rate: 50,
    duration: '60s',
    steps: [
      { at: '0s', rate: 50 },
      { at: '8s', rate: 100 },
      { at: '16s', rate: 200 },
      { at: '24s', rate: 400 },
      { at: '32s', rate: 800 },
      { at: '40s', rate: 1600 },
      { at: '48s', rate: 3200 },
    ],
    maxInFlight: 1024,
  },
  objective: { p99Below: '250ms' },
  timeline: [],
  expect: [...invariants(), highestSustainableRateRecorded(), shedsLoad([429]), allTerminal({ within: '60s' })],
});
