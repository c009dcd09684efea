import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../lib/paths.js';
import { defaultStackOptions, planStack } from '../stack-spec.js';
import { brokerEnvironment, checkPortClashes, composeEnvironment, composeImages, composePhases, kafkaEnvName, writeComposeFiles } from './compose-file.js';

interface ComposeFile {
  services: Record<string, { build?: { context: string; dockerfile: string }; volumes?: string[]; environment?: Record<string, string>; ports?: string[]; profiles?: string[]; privileged?: boolean; init?: boolean; network_mode?: string }>;
}

describe('composeEnvironment', () => {
  const plan = planStack(defaultStackOptions({ scale: { order: 2 } }));

  it('is the native environment, every address the same link on the lab’s one host; HTTP binds every interface, for the published port', () => {
    for (const instance of plan.instances) {
      const env = composeEnvironment(instance.env);
      expect(env, instance.member).toEqual({ ...instance.env, HTTP_HOST: '0.0.0.0' });
    }
  });
});

describe('Kafka broker settings', () => {
  it('names properties as the apache/kafka image reads them', () => {
    expect(kafkaEnvName('log.dirs')).toBe('KAFKA_LOG_DIRS');
    expect(kafkaEnvName('transaction.state.log.min.isr')).toBe('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR');
    expect(kafkaEnvName('a_b.c-d')).toBe('KAFKA_A__B_C___D');
  });

  it('are the settings both runtimes share, with listeners that bind every interface of the lab’s host', () => {
    const plan = planStack(defaultStackOptions({ brokers: 3 }));
    const broker = plan.brokers[1]!;
    const env = brokerEnvironment(plan, broker);
    expect(env.KAFKA_NODE_ID).toBe('2');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(plan.brokers.map((b) => `${b.id}@127.0.0.1:${b.controllerPort}`).join(','));
    const order = broker.listeners.find((l) => l.service === 'order')!;
    expect(env.KAFKA_LISTENERS).toContain(`ORDER://0.0.0.0:${order.port}`);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`ORDER://127.0.0.1:${order.advertisedPort}`);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`TOOLS://127.0.0.1:${broker.toolsPort}`);
    expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('TOOLS');
    expect(env.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
    expect(env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
    expect(env.KAFKA_HEAP_OPTS).toBe('-Xms128m -Xmx512m');
    expect(env.KAFKA_LOG4J_LOGGERS).toContain('kafka.server.KafkaRaftServer=INFO');
  });
});

describe('the start phases and images', () => {
  const plan = planStack(defaultStackOptions({ scale: { order: 2 } }));

  it('start the infrastructure, then every instance of the plan (the gateway too), then the tools', () => {
    const phases = composePhases(plan);
    expect(phases.infrastructure).toEqual(['postgres', 'kafka', 'toxiproxy']);
    // `host` is not in any phase: compose starts it first, as every container joins its network.
    expect(phases.services).toEqual(plan.instances.map((i) => i.member));
    expect(phases.services).toContain('gateway');
    expect(Object.keys(phases.tools).sort()).toEqual([...plan.options.monitoring].sort());
  });

  it('name one image per compose service, the services’ image built, every other pinned to a version', () => {
    const images = composeImages(plan);
    const phases = composePhases(plan);
    expect(images.map((i) => i.service).sort()).toEqual(['host', ...phases.infrastructure, ...phases.services, ...Object.values(phases.tools)].sort());
    for (const i of images) {
      expect(i.built, i.service).toBe(phases.services.includes(i.service));
      expect(i.image, i.service).toMatch(/:[\w.-]*\d[\w.-]*$/);
    }
  });
});

describe('writeComposeFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pizza-lab-compose-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a compose file whose every path resolves from where it was written: the build context, generated and hand-written files', async () => {
    const plan = planStack(defaultStackOptions({ scale: { order: 2 }, brokers: 3 }));
    const file = await writeComposeFiles(plan, join(dir, '.pizza-lab', 'compose'));
    expect(file).toBe(join(dir, '.pizza-lab', 'compose', 'docker-compose.yml'));
    expect(readFileSync(join(dirname(file), '.env'), 'utf8')).toContain('COMPOSE_PROJECT_NAME=pizza-lab');
    const compose = parse(readFileSync(file, 'utf8')) as ComposeFile;
    const order = compose.services['order-2']!;
    expect(resolve(dirname(file), order.build!.context)).toBe(projectRoot);
    expect(existsSync(join(projectRoot, order.build!.dockerfile))).toBe(true);
    const hostPaths = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((source) => source.startsWith('.'));
    expect(hostPaths.length).toBeGreaterThanOrEqual(7);
    for (const source of hostPaths) expect(existsSync(resolve(dirname(file), source)), source).toBe(true);
  });

  it('publishes, on `host` only, the lab’s ports and the chosen tools’; every other container joins its network; tools in a profile; services with an init process; nothing privileged', async () => {
    const plan = planStack(defaultStackOptions({ monitoring: ['prometheus', 'grafana'], toolPorts: { grafana: 23000, kafkaUi: 8080, prometheus: 29090, pgadmin: 8081, cadvisor: 8083 } }));
    const file = await writeComposeFiles(plan, join(dir, 'tools'));
    const compose = parse(readFileSync(file, 'utf8')) as ComposeFile;
    const published = compose.services.host!.ports!;
    expect(published).toContain('127.0.0.1:23000:23000');
    expect(published).toContain('127.0.0.1:29090:29090');
    expect(published.some((p) => p.includes(':8080:'))).toBe(false);
    expect(published).toContain(`127.0.0.1:${plan.options.ports.gateway}:${plan.options.ports.gateway}`);
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'host') {
        expect(service.network_mode, name).toBe('service:host');
        expect(service.ports, name).toBeUndefined();
      }
      expect(service.privileged, name).toBeUndefined();
    }
    expect(compose.services.grafana!.environment!.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(compose.services.grafana!.environment!.GF_SERVER_HTTP_PORT).toBe('23000');
    for (const tool of Object.values(composePhases(plan).tools)) expect(compose.services[tool]!.profiles, tool).toEqual(['monitoring']);
    for (const member of composePhases(plan).services) expect(compose.services[member]!.init, member).toBe(true);
  });

  it('refuses two things on one port in the lab’s network namespace, naming both and the flags', () => {
    const plan = planStack(defaultStackOptions({ toolPorts: { grafana: 8000, kafkaUi: 8080, prometheus: 9090, pgadmin: 8081, cadvisor: 8083 } }));
    expect(() => checkPortClashes(plan)).toThrow('port 8000 is wanted by both gateway and grafana');
    expect(() => checkPortClashes(planStack(defaultStackOptions()))).not.toThrow();
    expect(() => checkPortClashes(planStack(defaultStackOptions({ ports: { gateway: 9100, kafka: 9092, postgres: 5433, faultApi: 8474 } })))).toThrow('port 9100 is wanted by both gateway and node-exporter');
    expect(() => checkPortClashes(planStack(defaultStackOptions({ ports: { gateway: 9100, kafka: 9092, postgres: 5433, faultApi: 8474 }, monitoring: [] })))).not.toThrow();
  });
});
