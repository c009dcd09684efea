import { defineCommand, intOption, collect } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { color, note, say, sayJson } from '../lib/output.js';
import { AlreadyUpError, chooseRuntime, DEFAULT_TOOL_PORTS, defaultStackOptions, MONITORING_TOOLS, parseMonitoring, parseScale, startStack, TOOL_PORTS, type RuntimeChoice, type Stack, type StackStatus, type ToolPorts, type UpProgress } from '../runtime/index.js';
import { addresses, memberTable, stateColor } from './shared.js';

const port = (flag: string) => intOption(flag, { min: 1, max: 65535 });
/** The key commander gives a flag's value: `--kafka-ui-port` → `kafkaUiPort`. */
const camel = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

export default defineCommand({
  name: 'up',
  description: 'boot the whole lab (Kafka, PostgreSQL, fault proxy, services, gateway) and return when it is healthy',
  details:
    'The compose runtime (used when a Docker engine and Compose v2 answer) runs the stack with\n' +
    '`docker compose` (project pizza-lab); the files it generates for your options live in\n' +
    '.pizza-lab/compose/, and its monitoring tools start once the lab is healthy (not waited for).\n' +
    'The native runtime (used otherwise; the first line says why) runs every member as a process\n' +
    'under a detached supervisor; its state, logs and data live in .pizza-lab/ in this folder.',
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
    { flags: '--monitoring [tools]', description: `compose runtime: the monitoring tools to run beside the lab, all by default (${MONITORING_TOOLS.join(', ')}); the lab does not wait for them`, parse: collect },
    { flags: '--no-monitoring', description: 'compose runtime: run no monitoring tool' },
    ...TOOL_PORTS.map((t) => ({ flags: `${t.flag} <port>`, description: `compose runtime: ${t.tool}'s port`, parse: port(t.flag), default: DEFAULT_TOOL_PORTS[t.key] })),
    { flags: '--log-level <level>', description: 'services log level', choices: ['debug', 'info', 'warn', 'error'], default: 'info' },
    { flags: '--json', description: 'print the final status as JSON' },
  ],
  examples: ['pizza-lab up', 'pizza-lab up --scale order=3', 'pizza-lab up --runtime compose --monitoring prometheus,grafana --grafana-port 3300', 'pizza-lab up --runtime compose --no-monitoring', 'pizza-lab up --gateway-port 8080 --kafka-port 19092', 'pizza-lab up --postgres postgres://lab:secret@127.0.0.1:5432/pizzalab --kafka 127.0.0.1:9092'],
  async action(_args, opts, context) {
    const { runtime, reason } = await chooseRuntime(opts.runtime as RuntimeChoice);
    const options = defaultStackOptions({
      ports: { gateway: opts.gatewayPort as number, kafka: opts.kafkaPort as number, postgres: opts.postgresPort as number, faultApi: opts.faultPort as number },
      portBase: opts.portBase as number,
      brokers: opts.brokers as number,
      scale: parseScale((opts.scale as string[] | undefined) ?? []),
      logLevel: opts.logLevel as string,
      postgresUrl: opts.postgres as string | undefined,
      kafkaBootstrap: opts.kafka as string | undefined,
      monitoring: parseMonitoring(opts.monitoring as string[] | boolean | undefined),
      toolPorts: Object.fromEntries(TOOL_PORTS.map((t) => [t.key, opts[camel(t.flag)] as number])) as unknown as ToolPorts,
    });
    const started = Date.now();
    // Said with the first step, so that a lab already up is not announced as starting.
    let announced = false;
    const onProgress = (event: UpProgress) => {
      if (!announced) note(`${color.bold(`starting the lab (${runtime} runtime)`)}${reason ? color.dim(` — ${reason}`) : ''}`);
      announced = true;
      if (event.type === 'setup' || event.type === 'note') note(`  ${color.dim(event.message)}`);
      else if (event.type === 'warning') note(`  ${color.yellow(`! ${event.message}`)}`);
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
      say(addresses(stack.plan, await stack.tools()));
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
