import { defineCommand } from '../lib/command.js';
import { color, say, sayJson } from '../lib/output.js';
import { labHome } from '../lib/paths.js';
import { buildBaseImages, composeImages, publishedPorts, composeV2, connectEngine, contextSocket } from '../runtime/compose/index.js';
import { defaultStackOptions, findStack, planStack, portsOf, type RuntimeName } from '../runtime/index.js';
import { findKafka, kafkaCacheDir } from '../runtime/native/kafka-dist.js';
import { checkDisk, checkDocker, checkJava, checkMaven, checkPorts, type Check } from '../runtime/native/prerequisites.js';

/** The checks only one runtime needs: required when `up` would pick it, informative otherwise. */
const forRuntime = (checks: Check[], picked: boolean): Check[] => checks.map((c) => (picked || c.ok ? c : { ...c, optional: true }));

export default defineCommand({
  name: 'doctor',
  description: 'check what the lab needs on this machine, for the runtime `up` would pick, and say how to fix each problem',
  details:
    'The native runtime needs a JDK 17+ and (once) Maven; the compose runtime a Docker engine with\n' +
    'Compose v2, the images (pulled at the first `up` where a registry answers) and its ports.\n' +
    'Problems of the runtime `up` would not pick are shown, marked !, and do not count.',
  options: [{ flags: '--json', description: 'print the checks as JSON' }],
  examples: ['pizza-lab doctor', 'pizza-lab doctor --json'],
  async action(_args, opts) {
    const [major] = process.versions.node.split('.').map(Number);
    const node: Check =
      major! >= 20
        ? { name: 'Node.js', ok: true, detail: `Node.js ${process.versions.node}` }
        : { name: 'Node.js', ok: false, detail: `Node.js ${process.versions.node} is too old`, fix: 'install Node.js 20.18 or newer' };

    const docker = await checkDocker();
    const compose = docker.ok ? await composeV2() : undefined;
    const runtime: RuntimeName = docker.ok && compose?.ok ? 'compose' : 'native';
    const running = findStack();
    const plan = running?.plan ?? planStack(defaultStackOptions());

    const native: Check[] = [await checkJava()];
    let kafka: ReturnType<typeof findKafka>;
    try {
      kafka = findKafka();
    } catch (error) {
      native.push({ name: 'Kafka', ok: false, detail: (error as Error).message, fix: 'unset KAFKA_HOME or point it at an Apache Kafka install' });
    }
    native.push(await checkMaven({ needed: !kafka }));
    native.push(
      kafka
        ? { name: 'Kafka', ok: true, detail: `Apache Kafka 3.9.1 ready (${kafka.source})` }
        : { name: 'Kafka', ok: true, optional: true, detail: `not fetched yet (into ${kafkaCacheDir()})`, fix: '`pizza-lab setup` fetches it (about 50 MB); `up` does it by itself' },
    );

    const containers: Check[] = [docker];
    if (compose) containers.push({ name: 'Compose v2', ok: compose.ok, optional: !compose.ok, detail: compose.ok ? `Docker Compose ${compose.detail}` : `${compose.detail} — the native runtime will be used`, fix: compose.fix });
    if (compose?.ok) containers.push(await checkImages(plan));

    const ports: Check[] = [];
    if (running) {
      ports.push({ name: 'Ports', ok: true, detail: `in use by the running lab (${running.runtime} runtime, gateway ${running.plan.endpoints.gateway})` });
    } else {
      const taken = await checkPorts(runtime === 'compose' ? publishedPorts(plan) : portsOf(plan));
      ports.push(...(taken.length > 0 ? taken : [{ name: 'Ports', ok: true, detail: `every port the ${runtime} runtime publishes is free (${plan.options.ports.gateway}, ${plan.options.ports.kafka}, ${plan.options.ports.postgres}, ${plan.options.ports.faultApi}, ${plan.options.portBase}+${runtime === 'compose' ? ', the monitoring tools\'' : ''})` }]));
    }

    const checks = [node, ...forRuntime(native, runtime === 'native'), ...containers, ...ports, await checkDisk(labHome().replace(/\/\.pizza-lab$/, '') || '.')];
    const failed = checks.filter((c) => !c.ok && !c.optional);
    if (opts.json) {
      sayJson({ ok: failed.length === 0, runtime, checks });
    } else {
      for (const c of checks) {
        const mark = c.ok ? (c.optional && c.fix ? color.yellow('!') : color.green('✓')) : c.optional ? color.yellow('!') : color.red('✗');
        say(`${mark} ${color.bold(c.name.padEnd(14))} ${c.detail}`);
        if (c.fix && (!c.ok || c.optional)) say(`  ${' '.repeat(14)} ${color.dim(`→ ${c.fix}`)}`);
      }
      say();
      say(failed.length === 0 ? color.green(`ready: \`pizza-lab up\` can run here (${runtime} runtime)`) : color.red(`${failed.length} problem${failed.length === 1 ? '' : 's'} to fix before \`pizza-lab up\` (${runtime} runtime)`));
    }
    return failed.length === 0 ? 0 : 1;
  },
});

/** Which of the compose runtime's images the engine has; the missing ones are pulled at the first `up`. */
async function checkImages(plan: ReturnType<typeof planStack>): Promise<Check> {
  const docker = connectEngine(await contextSocket());
  const images = [...composeImages(plan).filter((i) => !i.built).map((i) => i.image), ...buildBaseImages()];
  const present = await Promise.all(images.map((image) => docker.getImage(image).inspect().then(() => true, () => false)));
  const missing = images.filter((_, n) => !present[n]);
  if (missing.length === 0) return { name: 'Images', ok: true, detail: `all ${images.length} images are on the engine (the services' image is built from them at \`up\`)` };
  return {
    name: 'Images',
    ok: true,
    optional: true,
    detail: `${missing.length} of ${images.length} images are not on the engine: ${missing.join(', ')}`,
    fix: '`up` pulls them (where a registry answers); a monitoring tool whose image cannot be had is left out, a member\'s stops `up`',
  };
}
