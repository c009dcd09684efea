/**
 * A Kafka broker of a test's own, apart from any lab: the "existing Kafka" that
 * `up --kafka HOST:PORT` is pointed at. Started from the native lab's own broker definition
 * (same jars, same settings), on ports of its own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findKafka } from '../../cli/runtime/native/kafka-dist.js';
import { kafkaMembers, newClusterId } from '../../cli/runtime/native/kafka.js';
import { defaultStackOptions, planStack } from '../../cli/runtime/stack-spec.js';
import { eventually } from './lab.js';
import { labPorts } from './ports.js';

export interface OwnKafka {
  /** Its plain listener, HOST:PORT. */
  bootstrap: string;
  stop: () => Promise<void>;
}

export async function startOwnKafka(folder: string): Promise<OwnKafka> {
  const dist = findKafka();
  if (!dist) throw new Error('the Kafka jars are not fetched (`pizza-lab setup`)');
  const plan = planStack(defaultStackOptions(await labPorts()));
  const [broker] = kafkaMembers(plan, dist, { configDir: join(folder, 'config'), dataDir: join(folder, 'data'), clusterId: newClusterId() });
  await broker!.prepare!();
  const server = spawn(broker!.command, broker!.args, { env: { ...process.env, ...broker!.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await eventually('the test Kafka broker to start', () => log.includes('Kafka Server started'), 60_000);
  return {
    bootstrap: broker!.address,
    stop: async () => {
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
    },
  };
}
