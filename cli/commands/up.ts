import { defineCommand, intOption, collect } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { color, note, say, sayJson } from '../lib/output.js';
import { AlreadyUpError, chooseRuntime, defaultStackOptions, parseScale, startStack, type RuntimeChoice, type Stack, type StackStatus, type UpProgress } from '../runtime/index.js';
import { addresses, memberTable, stateColor } from './shared.js';

const port = (flag: string) => intOption(flag, { min: 1, max: 65535 });

export default defineCommand({
  name: 'up',
  description: 'boot the whole lab (Kafka, PostgreSQL, fault proxy, services, gateway) and return when it is healthy',
  details:
    'The compose runtime (used when a Docker engine answers) runs the stack with `docker compose`\n' +
    '(project pizza-lab); the files it generates for your options live in .pizza-lab/compose/.\n' +
    'The native runtime (used when no Docker engine answers) runs every member as a process under a\n' +
    'detached supervisor; its state, logs and data live in .pizza-lab/ in this folder.',
  options: [
    { flags: '--runtime <runtime>', description: 'where to run the stack', choices: ['auto', 'native', 'compose'], default: 'auto' },
    { flags: '--scale <service=n>', description: 'instances of a service behind the gateway (repeatable)', parse: collect },
    { flags: '--brokers <n>', description: 'Kafka brokers: 1, or 3 for a replicated cluster', parse: intOption('--brokers', { min: 1, max: 3 }), default: 1 },
    { flags: '--gateway-port <port>', description: 'web shop and API port', parse: port('--gateway-port'), default: 8000 },
    { flags: '--kafka-port <port>', description: "Kafka's plain listener for tools", parse: port('--kafka-port'), default: 9092 },
    { flags: '--kafka <host:port>', description: 'use an existing Kafka instead of starting one (native runtime; the services reach it directly, without fault links)' },
    { flags: '--postgres-port <port>', description: 'PostgreSQL port', parse: port('--postgres-port'), default: 5433 },
    { flags: '--postgres <url>', description: 'use an existing PostgreSQL instead of starting one (native runtime; its user must be allowed to create roles and schemas)' },
    { flags: '--fault-port <port>', description: 'fault API (Toxiproxy-compatible) port', parse: port('--fault-port'), default: 8474 },
    { flags: '--port-base <port>', description: 'first of the internal ports (links, listeners, services)', parse: port('--port-base'), default: 19100 },
    { flags: '--log-level <level>', description: 'services log level', choices: ['debug', 'info', 'warn', 'error'], default: 'info' },
    { flags: '--json', description: 'print the final status as JSON' },
  ],
  examples: ['pizza-lab up', 'pizza-lab up --scale order=3', 'pizza-lab up --gateway-port 8080 --kafka-port 19092', 'pizza-lab up --postgres postgres://lab:secret@127.0.0.1:5432/pizzalab --kafka 127.0.0.1:9092'],
  async action(_args, opts, context) {
    const runtime = await chooseRuntime(opts.runtime as RuntimeChoice);
    const options = defaultStackOptions({
      ports: { gateway: opts.gatewayPort as number, kafka: opts.kafkaPort as number, postgres: opts.postgresPort as number, faultApi: opts.faultPort as number },
      portBase: opts.portBase as number,
      brokers: opts.brokers as number,
      scale: parseScale((opts.scale as string[] | undefined) ?? []),
      logLevel: opts.logLevel as string,
      postgresUrl: opts.postgres as string | undefined,
      kafkaBootstrap: opts.kafka as string | undefined,
    });
    const started = Date.now();
    // Said with the first step, so that a lab already up is not announced as starting.
    let announced = false;
    const onProgress = (event: UpProgress) => {
      if (!announced) note(color.bold(`starting the lab (${runtime} runtime)`));
      announced = true;
      if (event.type === 'setup' || event.type === 'note') note(`  ${color.dim(event.message)}`);
      else if (event.member.state !== 'pending') {
        const mark = event.member.state === 'running' ? color.green('✓') : event.member.state === 'starting' ? color.dim('…') : color.red('✗');
        note(`  ${mark} ${event.member.name.padEnd(18)} ${stateColor(event.member)}  ${color.dim(formatDuration(event.elapsedMs))}`);
      }
    };
    /** The members and addresses of the lab (or its status as JSON), between a heading and a closing line. */
    const show = async (stack: Stack, heading: (status: StackStatus) => string | undefined, closing?: string) => {
      const status = await stack.status();
      if (opts.json) return sayJson(status);
      const first = heading(status);
      if (first) say(first);
      say(memberTable(status.members));
      say();
      say(addresses(stack.plan));
      if (closing) {
        say();
        say(closing);
      }
    };
    try {
      const stack = await startStack(options, { runtime, onProgress, signal: context.signal });
      await show(stack, () => undefined, `${color.green('the lab is up')} in ${formatDuration(Date.now() - started)} — next: ${color.bold('pizza-lab order --follow')}, ${color.bold('pizza-lab status')}, ${color.bold('pizza-lab down')}`);
      return 0;
    } catch (error) {
      if (!(error instanceof AlreadyUpError)) throw error;
      await show(error.lab, (status) => `the lab is already up (${status.runtime} runtime):`);
      return 0;
    }
  },
});
