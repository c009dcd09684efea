/**
 * A Kafka broker of a test's own, apart from any lab: the "existing Kafka" that
 * `up --kafka HOST:PORT` is pointed at. Started from the native lab's own broker definition
 * (same jars, same settings), on ports of its own.
 */
import { join } from 'node:path';
import { findKafka } from '../../cli/runtime/native/kafka-dist.js';
import { kafkaMembers, newClusterId } from '../../cli/runtime/native/kafka.js';
import { defaultStackOptions, planStack } from '../../cli/runtime/stack-spec.js';
import { labPorts } from './ports.js';
import { startServer, type OwnServer } from './server.js';

export interface OwnKafka extends OwnServer {
  /** Its plain listener, HOST:PORT. */
  bootstrap: string;
}

export async function startOwnKafka(folder: string): Promise<OwnKafka> {
  const dist = findKafka();
  if (!dist) throw new Error('the Kafka jars are not fetched (`pizza-lab setup`)');
  const plan = planStack(defaultStackOptions(await labPorts()));
  const [broker] = kafkaMembers(plan, dist, { configDir: join(folder, 'config'), dataDir: join(folder, 'data'), clusterId: newClusterId() });
  await broker!.prepare!();
  const server = await startServer('the test Kafka broker', broker!.command, broker!.args, { env: { ...process.env, ...broker!.env }, ready: 'Kafka Server started', stopSignal: 'SIGTERM' });
  return { ...server, bootstrap: broker!.address };
}
