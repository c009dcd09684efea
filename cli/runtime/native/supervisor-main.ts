/**
 * The supervisor process, started detached by `pizza-lab up` with the lab's folder as argument.
 * It plans the stack from the options `up` wrote, starts every member, then serves the control
 * API until `down` (or a signal) stops everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFaultClient } from '../../faults/index.js';
import { messageOf } from '../../lib/errors.js';
import { bootstrapDatabase, ensureTopics } from '../common/index.js';
import { planStack } from '../stack-spec.js';
import { homePaths, readOptions, writeJsonAtomic, type SupervisorInfo } from './home.js';
import { findKafka } from './kafka-dist.js';
import { newClusterId } from './kafka.js';
import { stackMembers } from './members.js';
import { postgresLayout } from './postgres.js';
import { processStartTime } from './processes.js';
import { createSupervisor } from './supervisor.js';

const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);

async function main(): Promise<void> {
  const home = process.argv[2];
  if (!home) throw new Error('usage: supervisor-main <lab folder>');
  const paths = homePaths(home);
  const options = readOptions(paths);
  if (!options) throw new Error(`no options in ${paths.options}`);
  const plan = planStack(options);
  const kafka = plan.brokers.length > 0 ? findKafka() : undefined;
  if (plan.brokers.length > 0 && !kafka) throw new Error('Kafka is not set up (run `pizza-lab setup`)');

  const clusterIdFile = join(paths.data, 'kafka-cluster-id');
  if (!existsSync(clusterIdFile)) await writeFile(clusterIdFile, newClusterId());
  const clusterId = readFileSync(clusterIdFile, 'utf8').trim();

  const members = stackMembers(plan, {
    kafka,
    kafkaDirs: { configDir: paths.config, dataDir: paths.data, clusterId },
    postgres: plan.postgres.external ? undefined : await postgresLayout(paths.data),
  });
  const faults = createFaultClient(plan.endpoints.faultApi);
  const supervisor = createSupervisor({
    paths,
    members,
    log,
    bootstrap: {
      0: [
        { name: 'database roles and schemas', run: () => bootstrapDatabase(plan) },
        { name: 'Kafka topics', run: async () => void (await ensureTopics(plan)) },
        { name: 'fault-proxy links', run: async () => void (await faults.populate(plan.proxies.map((p) => ({ name: p.name, listen: p.listen, upstream: p.upstream, enabled: true })))) },
      ],
    },
  });

  const control = await supervisor.listen();
  const info: SupervisorInfo = {
    runtime: 'native',
    pid: process.pid,
    startTime: processStartTime(process.pid),
    controlUrl: control.url,
    token: control.token,
    startedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(paths.supervisor, info);
  log(`supervisor ${process.pid} answers on ${control.url}`);
  try {
    await supervisor.start();
  } catch (error) {
    // The failure is in state.json, where `up` reads it once the control API is gone.
    log(`start failed: ${messageOf(error)}`);
    process.exitCode = 1;
    control.server.close();
  }
}

main().catch((error) => {
  log(`supervisor failed: ${(error as Error).stack ?? messageOf(error)}`);
  process.exit(1);
});
