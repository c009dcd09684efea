/**
 * What the native runtime needs from the machine, each check answering with what is wrong and
 * what to do about it. `doctor` prints them all; `up` and `setup` stop at the first that fails.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { portFree } from '../../lib/ports.js';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LabError } from '../../lib/errors.js';

const run = promisify(execFile);

export interface Check {
  name: string;
  ok: boolean;
  /** What was found ("OpenJDK 17.0.15", "port 9092 is taken"). */
  detail: string;
  /** What to do when not ok. */
  fix?: string;
  /** A failed check that does not stop the native runtime (e.g. no Docker engine). */
  optional?: boolean;
}

export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Parses the major version out of `java -version` output ("17.0.15" → 17, "1.8.0_382" → 8). */
export function javaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

export async function checkJava(env: NodeJS.ProcessEnv = process.env): Promise<Check> {
  const fix = 'install a JDK 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME';
  try {
    const { stderr, stdout } = await run(javaCommand(env), ['-version'], { timeout: 20_000 });
    const text = `${stderr}${stdout}`;
    const major = javaMajor(text);
    const firstLine = text.split('\n')[0]?.trim() ?? '';
    if (major === undefined) return { name: 'JDK', ok: false, detail: `cannot read the version from "${firstLine}"`, fix };
    if (major < 17) return { name: 'JDK', ok: false, detail: `Java ${major} found, Kafka ${'3.9.1'} needs 17+`, fix };
    return { name: 'JDK', ok: true, detail: firstLine };
  } catch {
    return { name: 'JDK', ok: false, detail: 'no `java` on PATH', fix };
  }
}

export async function checkMaven(options: { needed: boolean } = { needed: true }): Promise<Check> {
  try {
    const { stdout } = await run('mvn', ['-v', '-B'], { timeout: 20_000, env: { ...process.env, MAVEN_OPTS: '' } });
    // eslint-disable-next-line no-control-regex
    const first = stdout.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0]?.trim() ?? 'Maven';
    return { name: 'Maven', ok: true, detail: first };
  } catch {
    return {
      name: 'Maven',
      ok: !options.needed,
      optional: !options.needed,
      detail: options.needed ? 'no `mvn` on PATH (needed once, to fetch Kafka)' : 'no `mvn` on PATH (not needed: Kafka is already fetched)',
      fix: 'install Maven 3.8+ (Debian/Ubuntu: `apt-get install maven`), or set KAFKA_HOME to an Apache Kafka 3.9.1 install',
    };
  }
}

/** Whether a Docker engine answers (not just a client on PATH). */
export async function dockerEngine(): Promise<{ answers: boolean; detail: string }> {
  try {
    const { stdout } = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 5000 });
    return { answers: true, detail: `Docker engine ${stdout.trim()}` };
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr ?? '');
    if ((error as { code?: string }).code === 'ENOENT') return { answers: false, detail: 'no docker client' };
    return { answers: false, detail: text.includes('Cannot connect') ? 'no Docker engine answers (only its client is here)' : 'no Docker engine answers' };
  }
}

export async function checkDocker(): Promise<Check> {
  const engine = await dockerEngine();
  return {
    name: 'Docker engine',
    ok: engine.answers,
    optional: true,
    detail: engine.answers ? engine.detail : `${engine.detail} — the native runtime will be used`,
    fix: engine.answers ? undefined : 'only needed for `--runtime compose`; start Docker (or Docker Desktop) to use it',
  };
}

export async function checkDisk(path: string, minFreeBytes = 2 * 1024 ** 3): Promise<Check> {
  // The lab's folder may not exist yet: its disk is the one its nearest existing parent is on.
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  const stats = await statfs(path);
  const free = stats.bavail * stats.bsize;
  const gib = (free / 1024 ** 3).toFixed(1);
  return free >= minFreeBytes
    ? { name: 'Disk', ok: true, detail: `${gib} GiB free in ${path}` }
    : { name: 'Disk', ok: false, detail: `only ${gib} GiB free in ${path}`, fix: 'free at least 2 GiB (Kafka and PostgreSQL keep their data under .pizza-lab/), or run `pizza-lab down --volumes`' };
}

export async function checkPorts(ports: readonly { port: number; owner: string; flag?: string }[]): Promise<Check[]> {
  const results = await Promise.all(ports.map(async (p) => ({ ...p, free: await portFree(p.port) })));
  return results
    .filter((r) => !r.free)
    .map((r) => ({
      name: `Port ${r.port}`,
      ok: false,
      detail: `port ${r.port} (${r.owner}) is already taken`,
      fix: `stop what listens there (another lab? \`pizza-lab down\` in its folder), or choose another with ${r.flag ?? '--port-base'}`,
    }));
}

/** Throws the first failed, non-optional check as a one-line error. */
export function requireChecks(checks: readonly Check[]): void {
  const failed = checks.find((c) => !c.ok && !c.optional);
  if (failed) throw new LabError(failed.detail, { hint: failed.fix });
}
