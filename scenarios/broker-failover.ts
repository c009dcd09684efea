import { allTerminal, at, defineScenario, heal, invariants, killPartitionLeader, leaderlessTimeRecorded } from './dsl.js';

export default defineScenario({
  name: 'broker-failover',
  summary: 'Three Kafka brokers; the leader of the busiest order-events partition is killed under load, then started again.',
  learn: [
    'each partition has one leader; with replication factor 3 and min.insync.replicas 2 two copies acknowledge every write',
    'when the leader dies the controller elects another from the in-sync replicas; the partition has no leader meanwhile',
    'idempotent producers with acks=all and consumers that rebalance make the failover lose and duplicate nothing',
  ],
  requires: { brokers: 3 },
  load: { rate: 20, duration: '40s' },
  timeline: [at('10s', killPartitionLeader('order-events')), at('25s', heal())],
  expect: [...invariants(), leaderlessTimeRecorded(), allTerminal({ within: '30s' })],
});
