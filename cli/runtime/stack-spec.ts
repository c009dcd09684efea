/**
 * The one definition of the stack: which services exist, what each one talks to (and so which
 * fault-proxy links exist), the environment each service is started with, and the ports.
 * The native runtime plans its processes from it and the compose file is checked against it,
 * so the two runtimes cannot drift apart.
 */
import { createHash } from 'node:crypto';
import { ALL_TOPICS, TOPIC_PARTITIONS } from '../../services/events/index.js';
import { callEnvName, SERVICE_ENV } from '../../services/kit/env.js';
import { UsageError } from '../lib/errors.js';
import type { MemberKind } from './common/index.js';

export type Dependency = 'kafka' | 'postgres';

export interface ServiceDef {
  name: string;
  /** One line for `status` and the docs. */
  summary: string;
  /** Infrastructure the service reaches, each through its own `<service>-<dependency>` link. */
  uses: readonly Dependency[];
  /** Other services it calls over HTTP, each through a link (see linkName). */
  calls: readonly string[];
  /** Can run several instances behind the gateway (`up --scale order=3`). */
  scalable: boolean;
}

export const SERVICES: readonly ServiceDef[] = [
  { name: 'frontend', summary: 'menu and the web shop', uses: ['postgres'], calls: [], scalable: false },
  { name: 'payment-provider', summary: 'the bank mock (idempotent charges)', uses: ['postgres'], calls: [], scalable: false },
  { name: 'order', summary: 'order API, saga state, outbox', uses: ['kafka', 'postgres'], calls: ['frontend'], scalable: true },
  { name: 'payment', summary: 'charges orders at the provider', uses: ['kafka', 'postgres'], calls: ['payment-provider'], scalable: true },
  { name: 'notification', summary: 'one notification per saga step', uses: ['kafka', 'postgres'], calls: [], scalable: true },
  { name: 'dlq', summary: 'stores and re-drives dead letters', uses: ['kafka', 'postgres'], calls: [], scalable: false },
  { name: 'gateway', summary: 'routing, round-robin, rate limit', uses: [], calls: ['order', 'frontend'], scalable: false },
];

export const SERVICE_NAMES: readonly string[] = SERVICES.map((s) => s.name);

export interface PublicPorts {
  gateway: number;
  kafka: number;
  postgres: number;
  faultApi: number;
}

export const DEFAULT_PORTS: PublicPorts = { gateway: 8000, kafka: 9092, postgres: 5433, faultApi: 8474 };

/** First of the internal ports (Kafka listeners behind the proxy, proxy links, service HTTP ports). */
export const DEFAULT_PORT_BASE = 19100;

export const DATABASE = { name: 'pizzalab', adminUser: 'postgres', adminPassword: 'postgres' } as const;

export const KAFKA_VERSION = '3.9.1';

/**
 * The monitoring tools the compose runtime runs beside the lab (its `monitoring` profile). The
 * lab's health never waits for them; the native runtime has `pizza-lab dashboard` instead.
 */
export const MONITORING_TOOLS = ['prometheus', 'grafana', 'kafka-ui', 'pgadmin', 'node-exporter', 'cadvisor', 'postgres-exporter', 'kafka-exporter'] as const;
export type MonitoringTool = (typeof MONITORING_TOOLS)[number];

/** Host ports of the monitoring tools that publish one (all on 127.0.0.1). */
export interface ToolPorts {
  grafana: number;
  kafkaUi: number;
  prometheus: number;
  pgadmin: number;
  cadvisor: number;
}

export const DEFAULT_TOOL_PORTS: ToolPorts = { grafana: 3000, kafkaUi: 8080, prometheus: 9090, pgadmin: 8081, cadvisor: 8083 };

/** Which tool publishes which port, and the `up` flag that moves it. */
export const TOOL_PORTS: readonly { tool: MonitoringTool; key: keyof ToolPorts; flag: string }[] = [
  { tool: 'grafana', key: 'grafana', flag: '--grafana-port' },
  { tool: 'kafka-ui', key: 'kafkaUi', flag: '--kafka-ui-port' },
  { tool: 'prometheus', key: 'prometheus', flag: '--prometheus-port' },
  { tool: 'pgadmin', key: 'pgadmin', flag: '--pgadmin-port' },
  { tool: 'cadvisor', key: 'cadvisor', flag: '--cadvisor-port' },
];

export interface StackOptions {
  ports: PublicPorts;
  portBase: number;
  /** 1 (default) or 3 KRaft brokers in combined mode. */
  brokers: number;
  /** Instances per scalable service; 1 when absent. */
  scale: Readonly<Record<string, number>>;
  host: string;
  logLevel: string;
  /** An existing PostgreSQL to use instead of starting one (`up --postgres URL`). */
  postgresUrl?: string;
  /** An existing Kafka to use instead of starting brokers (`up --kafka HOST:PORT[,HOST:PORT…]`). */
  kafkaBootstrap?: string;
  /** The monitoring tools to run (compose runtime); none with `up --no-monitoring`. */
  monitoring: readonly MonitoringTool[];
  toolPorts: ToolPorts;
}

export function defaultStackOptions(overrides: Partial<StackOptions> = {}): StackOptions {
  return {
    ports: { ...DEFAULT_PORTS, ...overrides.ports },
    portBase: overrides.portBase ?? DEFAULT_PORT_BASE,
    brokers: overrides.brokers ?? 1,
    scale: overrides.scale ?? {},
    host: overrides.host ?? '127.0.0.1',
    logLevel: overrides.logLevel ?? 'info',
    ...(overrides.postgresUrl ? { postgresUrl: overrides.postgresUrl } : {}),
    ...(overrides.kafkaBootstrap ? { kafkaBootstrap: overrides.kafkaBootstrap } : {}),
    monitoring: overrides.monitoring ?? MONITORING_TOOLS,
    toolPorts: { ...DEFAULT_TOOL_PORTS, ...overrides.toolPorts },
  };
}

/** Parses `--monitoring prometheus,grafana` (or repeated flags); every tool when none is named. */
export function parseMonitoring(values: readonly string[] | boolean | undefined): MonitoringTool[] {
  if (values === false) return [];
  if (values === true || values === undefined) return [...MONITORING_TOOLS];
  const tools = values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  const unknown = tools.find((t) => !(MONITORING_TOOLS as readonly string[]).includes(t));
  if (unknown !== undefined) throw new UsageError(`--monitoring: unknown tool "${unknown}"`, { hint: `tools: ${MONITORING_TOOLS.join(', ')}` });
  return tools.length === 0 ? [...MONITORING_TOOLS] : MONITORING_TOOLS.filter((t) => tools.includes(t));
}

/** The brokers `--kafka` names, checked; undefined when the lab runs its own. */
function existingKafka(options: StackOptions): string[] | undefined {
  if (!options.kafkaBootstrap) return undefined;
  const servers = options.kafkaBootstrap.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = servers.find((s) => !/^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/.test(s));
  if (servers.length === 0 || bad !== undefined) throw new UsageError(`--kafka "${bad ?? options.kafkaBootstrap}" is not HOST:PORT`, { hint: 'for example --kafka 127.0.0.1:9092 (several brokers: a comma-separated list)' });
  if (options.brokers !== 1) throw new UsageError('--brokers cannot go with --kafka: with --kafka the lab runs no broker of its own');
  return servers;
}

export interface PostgresPlan {
  /** Where PostgreSQL answers: the lab's own server, or the one `--postgres` names. */
  host: string;
  port: number;
  database: string;
  adminUser: string;
  adminPassword: string;
  /** True when the lab uses an existing server (`--postgres`) rather than one it starts. */
  external: boolean;
  roles: RolePlan[];
}

/** HOST:PORT, with an IPv6 host in brackets. */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The database the lab uses: its own server, or the one `--postgres URL` names (its database defaults to pizzalab). */
function postgresTarget(options: StackOptions): Omit<PostgresPlan, 'roles'> {
  if (!options.postgresUrl) return { host: options.host, port: options.ports.postgres, database: DATABASE.name, adminUser: DATABASE.adminUser, adminPassword: DATABASE.adminPassword, external: false };
  const example = 'for example --postgres postgres://postgres:secret@127.0.0.1:5432/pizzalab';
  let url: URL;
  try {
    url = new URL(options.postgresUrl);
  } catch {
    throw new UsageError(`--postgres "${options.postgresUrl}" is not a URL`, { hint: example });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new UsageError(`--postgres: "${url.protocol}" is not postgres:`, { hint: example });
  if (!url.hostname || !url.username) throw new UsageError('--postgres needs a host and a user', { hint: example });
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || DATABASE.name;
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new UsageError(`--postgres: the database name "${database}" must be lower-case letters, digits and _`, { hint: example });
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 5432,
    database,
    adminUser: decodeURIComponent(url.username),
    adminPassword: decodeURIComponent(url.password),
    external: true,
  };
}

export interface ProxyPlan {
  /** Proxy name in the fault API, e.g. `order-kafka`, `order-kafka-2` (second broker), `gateway-order-2`. */
  name: string;
  /** The link it belongs to (what fault commands name), e.g. `order-kafka`. */
  link: string;
  from: string;
  to: string;
  listen: string;
  upstream: string;
}

export interface KafkaListenerPlan {
  /** Kafka listener name, e.g. ORDER. */
  name: string;
  service: string;
  /** Where the broker binds it (only the proxy connects here). */
  port: number;
  /** Where it is advertised: the service's proxy port, so clients stay behind their link. */
  advertisedPort: number;
}

export interface BrokerPlan {
  id: number;
  member: string;
  /** Plain listener for tools and the CLI (9092 for the first broker). */
  toolsPort: number;
  controllerPort: number;
  listeners: KafkaListenerPlan[];
}

export interface InstancePlan {
  /** Member name: the service name, or `order-2` for a second instance. */
  member: string;
  service: string;
  index: number;
  port: number;
  env: Record<string, string>;
}

export interface StackPlan {
  options: StackOptions;
  host: string;
  /** The lab's own brokers; none when it uses an existing Kafka (`--kafka`), which its services reach directly. */
  brokers: BrokerPlan[];
  topics: { names: readonly string[]; partitions: number; replicationFactor: number };
  postgres: PostgresPlan;
  proxies: ProxyPlan[];
  instances: InstancePlan[];
  /** Addresses a user or the CLI uses. */
  endpoints: { gateway: string; kafka: string[]; postgres: string; faultApi: string };
}

export interface RolePlan {
  service: string;
  role: string;
  schema: string;
  password: string;
}

/** The PostgreSQL role and schema that a service owns, e.g. `order_svc`. */
export function schemaOf(service: string): string {
  return `${service.replace(/-/g, '_')}_svc`;
}

/** The link a caller uses to reach a dependency or another service. */
export function linkName(from: string, to: string): string {
  if (from === 'payment' && to === 'payment-provider') return 'payment-provider';
  return `${from}-${to}`;
}

function instanceMember(service: string, index: number, count: number): string {
  return count === 1 ? service : `${service}-${index}`;
}

export function instanceCount(options: StackOptions, service: string): number {
  return options.scale[service] ?? 1;
}

/** Checks `--scale` and `--brokers` before anything starts. */
export function validateStackOptions(options: StackOptions): void {
  for (const [service, count] of Object.entries(options.scale)) {
    const def = SERVICES.find((s) => s.name === service);
    if (!def) throw new UsageError(`--scale: unknown service "${service}"`, { hint: `scalable services: ${SERVICES.filter((s) => s.scalable).map((s) => s.name).join(', ')}` });
    if (!def.scalable) throw new UsageError(`--scale: ${service} runs as one instance only`, { hint: `scalable services: ${SERVICES.filter((s) => s.scalable).map((s) => s.name).join(', ')}` });
    if (!Number.isInteger(count) || count < 1 || count > 3) throw new UsageError(`--scale ${service}=${count}: use 1 to 3 instances`);
  }
  if (options.brokers !== 1 && options.brokers !== 3) throw new UsageError(`--brokers ${options.brokers}: use 1 or 3`);
}

/** Turns options into every port, link and environment variable of the stack. */
export function planStack(options: StackOptions): StackPlan {
  validateStackOptions(options);
  const host = options.host;
  const database = postgresTarget(options);
  const kafka = existingKafka(options);
  let next = options.portBase;
  const take = () => next++;
  const addr = (port: number) => `${host}:${port}`;

  const kafkaServices = SERVICES.filter((s) => s.uses.includes('kafka')).map((s) => s.name);
  const brokers: BrokerPlan[] = [];
  const proxies: ProxyPlan[] = [];
  for (let id = 1; !kafka && id <= options.brokers; id++) {
    const member = options.brokers === 1 ? 'kafka' : `kafka-${id}`;
    const broker: BrokerPlan = { id, member, toolsPort: options.ports.kafka + (id - 1), controllerPort: take(), listeners: [] };
    for (const service of kafkaServices) {
      const link = linkName(service, 'kafka');
      const listener: KafkaListenerPlan = { name: service.toUpperCase().replace(/-/g, '_'), service, port: take(), advertisedPort: take() };
      broker.listeners.push(listener);
      proxies.push({ name: id === 1 ? link : `${link}-${id}`, link, from: service, to: member, listen: addr(listener.advertisedPort), upstream: addr(listener.port) });
    }
    brokers.push(broker);
  }

  const instances: InstancePlan[] = [];
  for (const def of SERVICES) {
    const count = instanceCount(options, def.name);
    for (let index = 1; index <= count; index++) {
      instances.push({ member: instanceMember(def.name, index, count), service: def.name, index, port: def.name === 'gateway' ? options.ports.gateway : take(), env: {} });
    }
  }

  for (const def of SERVICES) {
    if (def.uses.includes('postgres')) {
      const link = linkName(def.name, 'postgres');
      proxies.push({ name: link, link, from: def.name, to: 'postgres', listen: addr(take()), upstream: hostPort(database.host, database.port) });
    }
    for (const callee of def.calls) {
      const link = linkName(def.name, callee);
      const targets = instances.filter((i) => i.service === callee);
      targets.forEach((target, i) => {
        proxies.push({ name: i === 0 ? link : `${link}-${i + 1}`, link, from: def.name, to: target.member, listen: addr(take()), upstream: addr(target.port) });
      });
    }
  }

  const roles: RolePlan[] = SERVICES.filter((s) => s.uses.includes('postgres')).map((s) => ({
    service: s.name,
    role: schemaOf(s.name),
    schema: schemaOf(s.name),
    // On an existing server the roles' passwords are not guessable from this code: derived from its admin password.
    password: database.external ? createHash('sha256').update(`${database.adminPassword}|${schemaOf(s.name)}`).digest('hex').slice(0, 24) : `${schemaOf(s.name)}-pw`,
  }));

  // On an existing Kafka, -1: that cluster's own default.replication.factor.
  const replicationFactor = kafka ? -1 : options.brokers === 1 ? 1 : 3;
  const listen = (p: ProxyPlan) => `http://${p.listen}`;
  for (const instance of instances) {
    const def = SERVICES.find((s) => s.name === instance.service)!;
    const env: Record<string, string> = {
      [SERVICE_ENV.service]: def.name,
      [SERVICE_ENV.instance]: instance.member,
      [SERVICE_ENV.host]: host,
      [SERVICE_ENV.port]: String(instance.port),
      [SERVICE_ENV.logLevel]: options.logLevel,
    };
    if (def.uses.includes('kafka')) {
      env[SERVICE_ENV.kafkaBrokers] = kafka ? kafka.join(',') : proxies.filter((p) => p.link === linkName(def.name, 'kafka')).map((p) => p.listen).join(',');
      if (!kafka) env[SERVICE_ENV.kafkaReplication] = String(replicationFactor);
    }
    if (def.uses.includes('postgres')) {
      const role = roles.find((r) => r.service === def.name)!;
      const proxy = proxies.find((p) => p.link === linkName(def.name, 'postgres'))!;
      env[SERVICE_ENV.databaseUrl] = `postgres://${role.role}:${encodeURIComponent(role.password)}@${proxy.listen}/${database.database}`;
    }
    for (const callee of def.calls) {
      const links = proxies.filter((p) => p.link === linkName(def.name, callee));
      const many = SERVICES.find((s) => s.name === callee)!.scalable;
      env[callEnvName(callee, many)] = links.map(listen).join(',');
    }
    instance.env = env;
  }

  return {
    options,
    host,
    brokers,
    topics: { names: ALL_TOPICS, partitions: TOPIC_PARTITIONS, replicationFactor },
    postgres: { ...database, roles },
    proxies,
    instances,
    endpoints: {
      gateway: `http://${addr(options.ports.gateway)}`,
      kafka: kafka ?? brokers.map((b) => addr(b.toolsPort)),
      postgres: `postgres://${encodeURIComponent(database.adminUser)}:${encodeURIComponent(database.adminPassword)}@${hostPort(database.host, database.port)}/${database.database}`,
      faultApi: `http://${addr(options.ports.faultApi)}`,
    },
  };
}

/** Every link name (what `fault partition` and the toxic commands accept). */
export function linksOf(plan: StackPlan): string[] {
  return [...new Set(plan.proxies.map((p) => p.link))];
}

/** Every port the plan binds on the host, with who binds it (for "port taken" errors). */
export function portsOf(plan: StackPlan): { port: number; owner: string; flag?: string }[] {
  const ports: { port: number; owner: string; flag?: string }[] = [
    ...(plan.postgres.external ? [] : [{ port: plan.options.ports.postgres, owner: 'postgres', flag: '--postgres-port' }]),
    { port: plan.options.ports.faultApi, owner: 'fault API', flag: '--fault-port' },
  ];
  for (const broker of plan.brokers) {
    ports.push({ port: broker.toolsPort, owner: `${broker.member} (tools listener)`, flag: '--kafka-port' });
    ports.push({ port: broker.controllerPort, owner: `${broker.member} (controller)`, flag: '--port-base' });
    for (const l of broker.listeners) ports.push({ port: l.port, owner: `${broker.member} (${l.name} listener)`, flag: '--port-base' });
  }
  for (const p of plan.proxies) ports.push({ port: Number(p.listen.split(':').pop()), owner: `link ${p.name}`, flag: '--port-base' });
  for (const i of plan.instances) ports.push({ port: i.port, owner: i.member, flag: i.service === 'gateway' ? '--gateway-port' : '--port-base' });
  return ports;
}

export interface PlannedMember {
  name: string;
  kind: MemberKind;
  address: string;
}

/** Every member of the plan, in the order `status` lists them under both runtimes. */
export function plannedMembers(plan: StackPlan): PlannedMember[] {
  const at = (port: number) => `${plan.host}:${port}`;
  return [
    ...(plan.postgres.external ? [] : [{ name: 'postgres', kind: 'postgres', address: at(plan.options.ports.postgres) } satisfies PlannedMember]),
    ...plan.brokers.map((b): PlannedMember => ({ name: b.member, kind: 'kafka', address: at(b.toolsPort) })),
    { name: 'fault-proxy', kind: 'fault-proxy', address: at(plan.options.ports.faultApi) },
    ...plan.instances.map((i): PlannedMember => ({ name: i.member, kind: i.service === 'gateway' ? 'gateway' : 'service', address: at(i.port) })),
  ];
}

/** Parses `--scale order=3,payment=2` (or repeated flags). */
export function parseScale(values: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const part of values.flatMap((v) => v.split(','))) {
    const match = /^([a-z-]+)=(\d+)$/.exec(part.trim());
    if (!match) throw new UsageError(`--scale "${part}" is not SERVICE=N`, { hint: 'for example --scale order=3' });
    scale[match[1]!] = Number(match[2]);
  }
  return scale;
}
