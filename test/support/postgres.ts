/**
 * A PostgreSQL server of a test's own, apart from any lab: the "existing database" that
 * `up --postgres URL` is pointed at. The same binaries and first-time set-up as the native lab's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { distPath } from '../../cli/lib/paths.js';
import { postgresLayout } from '../../cli/runtime/native/postgres.js';
import { startServer, type OwnServer } from './server.js';

const run = promisify(execFile);

export interface OwnPostgres extends OwnServer {
  /** Admin URL of one of its databases (user postgres, password postgres). */
  url: (database?: string) => string;
}

export async function startOwnPostgres(folder: string, port: number): Promise<OwnPostgres> {
  const layout = await postgresLayout(folder);
  await run(process.execPath, [distPath('cli', 'runtime', 'native', 'postgres-init.js'), layout.dataDir, String(port), 'postgres', 'postgres'], { timeout: 120_000 });
  const server = await startServer('the test PostgreSQL', layout.postgres, ['-D', layout.dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
    uid: layout.user?.uid,
    gid: layout.user?.gid,
    ready: 'ready to accept connections',
    stopSignal: 'SIGINT',
  });
  return { ...server, url: (database = 'postgres') => `postgres://postgres:postgres@127.0.0.1:${port}/${database}` };
}
