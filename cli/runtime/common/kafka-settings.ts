/**
 * The lab's Kafka brokers as data, whichever runtime runs them: KRaft in combined mode, one
 * listener per service advertised at that service's fault-proxy link (so its client never leaves
 * the link), a plain listener for tools, the controller listener, and the JVM and logging
 * settings. The native runtime writes them to server.properties and log4j.properties; the compose
 * runtime passes them to the apache/kafka image as KAFKA_* variables.
 */
import type { BrokerPlan, StackPlan } from '../stack-spec.js';

/** Where a runtime puts the broker's listeners. */
export interface BrokerNetwork {
  /** The address a listener binds on its port. */
  bind(port: number): string;
  /** Where a service's listener is advertised: its link on the fault proxy at this port. */
  link(port: number): string;
  /** A broker's controller listener, as the other brokers reach it (quorum voters). */
  controller(broker: BrokerPlan): string;
  /**
   * A listener for the brokers between themselves (and for tools inside a container network),
   * advertised at this address; without one, brokers talk over the tools listener.
   */
  internal?(broker: BrokerPlan): { host: string; port: number };
}

/** The native runtime's network: everything on the lab's host. */
export function hostNetwork(plan: StackPlan): BrokerNetwork {
  return {
    bind: (port) => `${plan.host}:${port}`,
    link: (port) => `${plan.host}:${port}`,
    controller: (broker) => `${plan.host}:${broker.controllerPort}`,
  };
}

/** One broker's settings, in the order server.properties lists them. */
export function brokerSettings(plan: StackPlan, broker: BrokerPlan, logDir: string, network: BrokerNetwork): [string, string][] {
  const internal = network.internal?.(broker);
  const names = ['TOOLS', 'CONTROLLER', ...broker.listeners.map((l) => l.name), ...(internal ? ['INTERNAL'] : [])];
  const listeners = [
    `TOOLS://${network.bind(broker.toolsPort)}`,
    `CONTROLLER://${network.bind(broker.controllerPort)}`,
    ...broker.listeners.map((l) => `${l.name}://${network.bind(l.port)}`),
    ...(internal ? [`INTERNAL://${network.bind(internal.port)}`] : []),
  ];
  // TOOLS is advertised where a user's tools reach it: the lab's host (compose publishes it there).
  const advertised = [
    `TOOLS://${plan.host}:${broker.toolsPort}`,
    ...broker.listeners.map((l) => `${l.name}://${network.link(l.advertisedPort)}`),
    ...(internal ? [`INTERNAL://${internal.host}:${internal.port}`] : []),
  ];
  const rf = plan.topics.replicationFactor;
  return [
    ['process.roles', 'broker,controller'],
    ['node.id', String(broker.id)],
    ['controller.quorum.voters', plan.brokers.map((b) => `${b.id}@${network.controller(b)}`).join(',')],
    ['listeners', listeners.join(',')],
    ['advertised.listeners', advertised.join(',')],
    ['listener.security.protocol.map', names.map((name) => `${name}:PLAINTEXT`).join(',')],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', internal ? 'INTERNAL' : 'TOOLS'],
    ['log.dirs', logDir],
    ['num.partitions', String(plan.topics.partitions)],
    ['default.replication.factor', String(rf)],
    ['min.insync.replicas', rf === 1 ? '1' : '2'],
    ['offsets.topic.replication.factor', String(rf)],
    ['offsets.topic.num.partitions', '6'],
    ['transaction.state.log.replication.factor', String(rf)],
    ['transaction.state.log.min.isr', rf === 1 ? '1' : '2'],
    ['group.initial.rebalance.delay.ms', '0'],
    // Topics are created up front: a consumer of a missing topic must fail loudly, not create it.
    ['auto.create.topics.enable', 'false'],
    ['num.network.threads', '2'],
    ['num.io.threads', '4'],
    ['log.retention.hours', '168'],
    ['log.segment.bytes', '67108864'],
    ['log.cleaner.enable', 'true'],
    ['delete.topic.enable', 'true'],
    ['controlled.shutdown.enable', 'true'],
    // A broker that dies (kill -9) is noticed by silence: shorter than the defaults (2 s / 9 s)
    // so that a partition's leader moves within seconds in the three-broker lab.
    ['broker.heartbeat.interval.ms', '1000'],
    ['broker.session.timeout.ms', '4000'],
  ];
}

/** Small heap, serial GC, C1 only: a broker that starts in seconds and leaves room on 2 cores. */
export const KAFKA_JVM = {
  heap: ['-Xms128m', '-Xmx512m'],
  performance: ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'],
} as const;

/** The broker's logging: quiet, except what a lab wants to see. */
export const KAFKA_LOGGING = {
  root: 'WARN',
  loggers: {
    // Readiness is read from the line "Kafka Server started"; leader changes are worth seeing in a lab.
    'kafka.server.KafkaRaftServer': 'INFO',
    'kafka.server.BrokerServer': 'INFO',
    'kafka.server.ControllerServer': 'INFO',
    'org.apache.kafka.controller': 'INFO',
    'state.change.logger': 'WARN',
    // A broker that is down is reported every 50 ms by every peer: once is enough (the controller logs fencing).
    'org.apache.kafka.clients.NetworkClient': 'ERROR',
  } as Readonly<Record<string, string>>,
} as const;
