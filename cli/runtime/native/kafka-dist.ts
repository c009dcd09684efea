/**
 * Apache Kafka for the native runtime: jars fetched once by Maven into the user's cache
 * (`~/.cache/pizza-lab/kafka-3.9.1/libs`), or an existing install named by KAFKA_HOME.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../../lib/errors.js';
import { cacheDir, projectRoot } from '../../lib/paths.js';
import { KAFKA_VERSION } from '../stack-spec.js';
import { checkJava, checkMaven, requireChecks } from './prerequisites.js';

export interface KafkaDist {
  /** Java class path for the broker and its tools. */
  classpath: string;
  /** Where it came from, for messages. */
  source: string;
  libs: string;
}

const MARKER = '.complete';

export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `kafka-${KAFKA_VERSION}`);
}

/** The Kafka install to use, or undefined when it still has to be fetched. */
export function findKafka(env: NodeJS.ProcessEnv = process.env): KafkaDist | undefined {
  if (env.KAFKA_HOME) {
    const libs = join(env.KAFKA_HOME, 'libs');
    if (!existsSync(libs)) throw new LabError(`KAFKA_HOME=${env.KAFKA_HOME} has no libs/ folder`, { hint: 'point KAFKA_HOME at an Apache Kafka install (the folder holding bin/ and libs/), or unset it' });
    return { classpath: join(libs, '*'), source: `KAFKA_HOME (${env.KAFKA_HOME})`, libs };
  }
  const dir = kafkaCacheDir(env);
  const libs = join(dir, 'libs');
  if (existsSync(join(dir, MARKER))) return { classpath: join(libs, '*'), source: dir, libs };
  return undefined;
}

export interface SetupProgress {
  (event: { step: 'check' | 'download' | 'done'; message: string; jars?: number }): void;
}

/**
 * Makes sure Kafka is available: instant when cached, otherwise checks the JDK and Maven and lets
 * Maven fetch the broker's jars (reporting each artifact as it arrives).
 */
export async function ensureKafka(onProgress: SetupProgress = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<KafkaDist> {
  const found = findKafka(env);
  if (found) {
    onProgress({ step: 'done', message: `Kafka ${KAFKA_VERSION} ready (${found.source})` });
    return found;
  }
  onProgress({ step: 'check', message: 'checking the JDK and Maven' });
  requireChecks([await checkJava(env), await checkMaven()]);

  const dir = kafkaCacheDir(env);
  const staging = join(dir, `libs.partial-${process.pid}`);
  await mkdir(dir, { recursive: true });
  await rm(staging, { recursive: true, force: true });
  onProgress({ step: 'download', message: `fetching Apache Kafka ${KAFKA_VERSION} with Maven`, jars: 0 });

  const pom = join(projectRoot, 'compose', 'kafka', 'pom.xml');
  const log: string[] = [];
  let jars = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mvn', ['-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, MAVEN_OPTS: env.MAVEN_OPTS ?? '' },
    });
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        // eslint-disable-next-line no-control-regex
        const clean = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
        if (!clean) continue;
        log.push(clean);
        if (log.length > 200) log.shift();
        const downloaded = /Downloaded from \S+: (\S+)/.exec(clean);
        if (downloaded) onProgress({ step: 'download', message: `downloaded ${downloaded[1]!.split('/').pop()}`, jars });
        const copied = /Copying (\S+\.jar)/.exec(clean);
        if (copied) onProgress({ step: 'download', message: `copied ${copied[1]}`, jars: ++jars });
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else {
        const errors = log.filter((l) => l.includes('ERROR')).slice(0, 3).join(' | ') || log.slice(-3).join(' | ');
        reject(new LabError(`Maven could not fetch Kafka ${KAFKA_VERSION} (exit ${code}): ${errors}`, { hint: 'check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml), then run `pizza-lab setup` again' }));
      }
    });
  });

  const count = (await readdir(staging)).filter((f) => f.endsWith('.jar')).length;
  if (!(await readdir(staging)).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new LabError(`Maven finished but no kafka_2.13 jar arrived in ${staging}`, { hint: 'run `pizza-lab setup` again; if it persists, delete ~/.m2/repository/org/apache/kafka' });
  }
  const libs = join(dir, 'libs');
  await rm(libs, { recursive: true, force: true });
  await rename(staging, libs);
  await writeFile(join(dir, MARKER), `${new Date().toISOString()} ${count} jars\n`);
  onProgress({ step: 'done', message: `Kafka ${KAFKA_VERSION} ready: ${count} jars in ${libs}`, jars: count });
  return { classpath: join(libs, '*'), source: dir, libs };
}
