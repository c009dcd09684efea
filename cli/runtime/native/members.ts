/**
 * Every member of the native stack, from the plan: PostgreSQL and Kafka, the fault proxy, then
 * the services and the gateway (started as processes; the runtime never imports their code).
 */
import { distPath } from '../../lib/paths.js';
import { Wait } from '../../lib/wait.js';
import type { StackPlan } from '../stack-spec.js';
import type { KafkaDist } from './kafka-dist.js';
import { kafkaMembers, type KafkaDirs } from './kafka.js';
import type { MemberDef } from './member.js';
import { postgresMember, type PostgresLayout } from './postgres.js';

/**
 * How every Node member is started: V8's garbage collector on the main thread alone. With a dozen
 * processes on two cores, its parallel helpers wait for a CPU while the paused event loop waits
 * for them. Background compilation stays: without it (`--single-threaded`) the first minute's
 * compiling stalls the event loop. The benchmark's POST p99 at 200 orders/s after 10 s / 30 s of
 * warm-up: 24–26 / 13–15 ms, against 25 / 19–20 ms with V8's threads (docs/performance.md).
 */
const NODE_FLAGS = ['--enable-source-maps', '--single-threaded-gc'];

export function faultProxyMember(plan: StackPlan): MemberDef {
  const port = plan.options.ports.faultApi;
  return {
    name: 'fault-proxy',
    kind: 'fault-proxy',
    address: `${plan.host}:${port}`,
    phase: 0,
    command: process.execPath,
    args: [...NODE_FLAGS, distPath('cli', 'faults', 'proxy', 'main.js'), '--host', plan.host, '--port', String(port)],
    env: { LOG_LEVEL: plan.options.logLevel },
    ready: Wait.forHttp(`${plan.endpoints.faultApi}/version`, { timeoutMs: 20_000 }),
    health: Wait.forHttp(`${plan.endpoints.faultApi}/version`, { timeoutMs: 2000 }),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5000,
  };
}

/** Phase of each service: the gateway starts last, once what it routes to answers. */
const servicePhase = (service: string) => (service === 'gateway' ? 2 : 1);

/**
 * PIZZA_LAB_CPU_PROF=<dir> (set for `up`) makes every service write a V8 CPU profile there when
 * it stops — how the lab's hot paths are found (open them in Chrome DevTools).
 */
function profileArgs(member: string): string[] {
  const dir = process.env.PIZZA_LAB_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${member}.cpuprofile`] : [];
}

export function serviceMembers(plan: StackPlan): MemberDef[] {
  return plan.instances.map((instance) => {
    const health = `http://${plan.host}:${instance.port}/health`;
    return {
      name: instance.member,
      kind: instance.service === 'gateway' ? 'gateway' : 'service',
      address: `${plan.host}:${instance.port}`,
      phase: servicePhase(instance.service),
      command: process.execPath,
      args: [...NODE_FLAGS, ...profileArgs(instance.member), distPath('services', instance.service, 'main.js')],
      env: { ...instance.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      ready: Wait.forHttp(health, { timeoutMs: 30_000 }),
      health: Wait.forHttp(health, { timeoutMs: 2000 }),
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 15_000,
    } satisfies MemberDef;
  });
}

/** Every member the supervisor runs: PostgreSQL and Kafka only where the lab has its own (no `--postgres`, no `--kafka`). */
export function stackMembers(plan: StackPlan, context: { kafka?: KafkaDist; kafkaDirs: KafkaDirs; postgres?: PostgresLayout }): MemberDef[] {
  return [...(context.postgres ? [postgresMember(plan, context.postgres)] : []), ...(context.kafka ? kafkaMembers(plan, context.kafka, context.kafkaDirs) : []), faultProxyMember(plan), ...serviceMembers(plan)];
}
