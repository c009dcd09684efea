import { defineCommand } from '../lib/command.js';
import { color, say, sayJson } from '../lib/output.js';
import { labHome } from '../lib/paths.js';
import { defaultStackOptions, findStack, planStack, portsOf } from '../runtime/index.js';
import { findKafka, kafkaCacheDir } from '../runtime/native/kafka-dist.js';
import { checkDisk, checkDocker, checkJava, checkMaven, checkPorts, type Check } from '../runtime/native/prerequisites.js';

export default defineCommand({
  name: 'doctor',
  description: 'check what the lab needs on this machine and say how to fix each problem',
  options: [{ flags: '--json', description: 'print the checks as JSON' }],
  examples: ['pizza-lab doctor'],
  async action(_args, opts) {
    const checks: Check[] = [];
    const [major] = process.versions.node.split('.').map(Number);
    checks.push(
      major! >= 20
        ? { name: 'Node.js', ok: true, detail: `Node.js ${process.versions.node}` }
        : { name: 'Node.js', ok: false, detail: `Node.js ${process.versions.node} is too old`, fix: 'install Node.js 20.18 or newer' },
    );
    checks.push(await checkJava());
    let kafka: ReturnType<typeof findKafka>;
    try {
      kafka = findKafka();
    } catch (error) {
      checks.push({ name: 'Kafka', ok: false, detail: (error as Error).message, fix: 'unset KAFKA_HOME or point it at an Apache Kafka install' });
    }
    checks.push(await checkMaven({ needed: !kafka }));
    checks.push(
      kafka
        ? { name: 'Kafka', ok: true, detail: `Apache Kafka 3.9.1 ready (${kafka.source})` }
        : { name: 'Kafka', ok: true, optional: true, detail: `not fetched yet (into ${kafkaCacheDir()})`, fix: '`pizza-lab setup` fetches it (about 50 MB); `up` does it by itself' },
    );
    checks.push(await checkDocker());
    const running = findStack();
    if (running) {
      checks.push({ name: 'Ports', ok: true, detail: `in use by the running lab (gateway ${running.plan.endpoints.gateway})` });
    } else {
      const taken = await checkPorts(portsOf(planStack(defaultStackOptions())));
      checks.push(...(taken.length > 0 ? taken : [{ name: 'Ports', ok: true, detail: 'every default port is free (8000, 9092, 5433, 8474, 19100+)' }]));
    }
    checks.push(await checkDisk(labHome().replace(/\/\.pizza-lab$/, '') || '.'));

    const failed = checks.filter((c) => !c.ok && !c.optional);
    if (opts.json) {
      sayJson({ ok: failed.length === 0, checks });
    } else {
      for (const c of checks) {
        const mark = c.ok ? (c.optional && c.fix ? color.yellow('!') : color.green('✓')) : c.optional ? color.yellow('!') : color.red('✗');
        say(`${mark} ${color.bold(c.name.padEnd(14))} ${c.detail}`);
        if (c.fix && (!c.ok || c.optional)) say(`  ${' '.repeat(14)} ${color.dim(`→ ${c.fix}`)}`);
      }
      say();
      say(failed.length === 0 ? color.green('ready: `pizza-lab up` can run here') : color.red(`${failed.length} problem${failed.length === 1 ? '' : 's'} to fix before \`pizza-lab up\``));
    }
    return failed.length === 0 ? 0 : 1;
  },
});
