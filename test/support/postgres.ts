/**
 * A PostgreSQL server of a test's own, apart from any lab: the "existing database" that
 * `up --postgres URL` is pointed at. The same binaries and first-time set-up as the native lab's.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { postgresLayout } from '../../cli/runtime/native/postgres.js';
import { distPath } from '../../cli/lib/paths.js';
import { eventually } from './lab.js';

const run = promisify(execFile);

export interface OwnPostgres {
  /** Admin URL of its `postgres` database (user postgres, password postgres). */
  url: (database?: string) => string;
  stop: () => Promise<void>;
}

export async function startOwnPostgres(folder: string, port: number): Promise<OwnPostgres> {
  const layout = await postgresLayout(folder);
  await run(process.execPath, [distPath('cli', 'runtime', 'native', 'postgres-init.js'), layout.dataDir, String(port), 'postgres', 'postgres'], { timeout: 120_000 });
  const server = spawn(layout.postgres, ['-D', layout.dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], { uid: layout.user?.uid, gid: layout.user?.gid, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await eventually('the test PostgreSQL to accept connections', () => log.includes('ready to accept connections'), 30_000);
  return {
    url: (database = 'postgres') => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (server.exitCode === null) server.kill('SIGINT');
      await exited;
    },
  };
}
