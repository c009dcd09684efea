/** A server process a test starts for itself, ready once its output says so. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { eventually } from './lab.js';

export interface OwnServer {
  stop: () => Promise<void>;
}

/** Starts `command`, waits (up to a minute) until its output contains `ready`; `stop` sends `stopSignal` and waits for the exit. */
export async function startServer(what: string, command: string, args: string[], options: SpawnOptions & { ready: string; stopSignal: NodeJS.Signals }): Promise<OwnServer> {
  const server = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => void (output += chunk.toString());
  server.stdout!.on('data', collect);
  server.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await eventually(`${what} to start`, () => output.includes(options.ready), 60_000);
  return {
    stop: async () => {
      if (server.exitCode === null) server.kill(options.stopSignal);
      await exited;
    },
  };
}
