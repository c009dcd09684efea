/**
 * The CLI end to end on a lab of its own: up, status --json, logs, the supervisor's control,
 * doctor, down — and afterwards no process of that lab is left. Also: Ctrl-C during up, a port
 * already taken, and bad command lines.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesMentioning, runCli } from './support/lab.js';
import { labPorts } from './support/ports.js';

/** The process state letter (R, S, T for stopped, Z for a zombie), or undefined when it is gone. */
const procState = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
};
/** Running, sleeping or stopped; a zombie has ended (its parent just has not collected it yet). */
const isAlive = (pid: number) => ![undefined, 'Z', 'X'].includes(procState(pid));

interface StatusJson {
  runtime: string;
  members: { name: string; kind: string; state: string; healthy: boolean; address: string; pid: number | null }[];
}

describe('pizza-lab up … down on a lab of its own', () => {
  /** The folder the lab belongs to; its state is in `.pizza-lab/` there, as when a user runs `up`. */
  let folder: string;
  let home: string;
  let portArgs: string[];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pizza-lab-cli-'));
    home = join(folder, '.pizza-lab');
    const { ports, portBase } = await labPorts();
    portArgs = ['--gateway-port', String(ports.gateway), '--kafka-port', String(ports.kafka), '--postgres-port', String(ports.postgres), '--fault-port', String(ports.faultApi), '--port-base', String(portBase)];
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { home, timeoutMs: 120_000 });
    await rm(folder, { recursive: true, force: true });
  });

  it('up boots every member, prints the member table and the addresses, and exits 0', async () => {
    const result = await runCli(['up', ...portArgs], { home, timeoutMs: 150_000 });
    expect(result.stderr).toContain('starting the lab (native runtime)');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/MEMBER\s+KIND\s+STATE\s+ADDRESS\s+PID/);
    for (const member of ['postgres', 'kafka', 'fault-proxy']) expect(result.stdout).toMatch(new RegExp(`${member}\\s+\\S+\\s+running`));
    expect(result.stdout).toContain('the lab is up');
  });

  it('up again says the lab is already up and exits 0', async () => {
    const result = await runCli(['up', ...portArgs], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the lab is already up');
    expect(result.stderr).not.toContain('starting the lab');
  });

  it('finds the lab from any subfolder of its folder, as git finds its repository', async () => {
    const deep = join(folder, 'docs', 'walkthroughs');
    await mkdir(deep, { recursive: true });
    const result = await runCli(['status', '--json'], { cwd: deep, env: { PIZZA_LAB_HOME: '' } });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as StatusJson).members.map((m) => m.name)).toContain('kafka');
    const again = await runCli(['up', ...portArgs], { cwd: deep, env: { PIZZA_LAB_HOME: '' } });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the lab is already up');
  });

  it('status --json gives {runtime, members: [{name, kind, state, healthy, address, pid}]}', async () => {
    const result = await runCli(['status', '--json'], { home });
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as StatusJson;
    expect(status.runtime).toBe('native');
    expect(status.members.length).toBeGreaterThanOrEqual(3);
    for (const member of status.members) {
      expect(Object.keys(member).sort()).toEqual(['address', 'healthy', 'kind', 'name', 'pid', 'state']);
      expect(member).toMatchObject({ state: 'running', healthy: true });
      expect(member.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(isAlive(member.pid!)).toBe(true);
    }
  });

  it('logs prints a member log', async () => {
    const result = await runCli(['logs', 'kafka', '--lines', '500'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Kafka Server started');
  });

  it('the supervisor pauses, resumes, kills and starts a member, and reports one that died by itself', async () => {
    const info = JSON.parse(readFileSync(join(home, 'supervisor.json'), 'utf8')) as { controlUrl: string; token: string };
    const control = async (member: string, action: string, body: object = {}) => {
      const response = await fetch(`${info.controlUrl}/members/${member}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { state: string; pid: number | null; message?: string } };
    };
    const status = async () => (JSON.parse((await runCli(['status', '--json'], { home })).stdout) as StatusJson).members.find((m) => m.name === 'fault-proxy')!;

    const before = await status();
    expect((await control('fault-proxy', 'pause')).body.state).toBe('paused');
    expect(procState(before.pid!)).toBe('T');
    expect((await control('fault-proxy', 'resume')).body.state).toBe('running');
    expect(procState(before.pid!)).not.toBe('T');

    // Killed from outside: noticed, reported, not restarted.
    process.kill(before.pid!, 'SIGKILL');
    const died = await eventually('the supervisor to notice', async () => {
      const s = await status();
      return s.state === 'exited' ? s : undefined;
    });
    expect(died).toMatchObject({ healthy: false, pid: null });
    const text = (await runCli(['status'], { home })).stdout;
    expect(text).toMatch(/fault-proxy.*exited.*killed by SIGKILL/);

    const started = await control('fault-proxy', 'start');
    expect(started.body.state).toBe('running');
    expect(started.body.pid).not.toBe(before.pid);

    const killed = await control('fault-proxy', 'kill', { signal: 'TERM' });
    expect(killed.body).toMatchObject({ state: 'exited', pid: null });
    expect((await control('fault-proxy', 'start')).body.state).toBe('running');
    expect((await control('nobody', 'stop')).status).toBe(404);
  });

  it('doctor checks the machine and exits 0 here', async () => {
    const result = await runCli(['doctor'], { home });
    expect(result.stdout).toMatch(/✓ JDK\s+openjdk version "(1[7-9]|2\d)/);
    expect(result.stdout).toMatch(/Kafka\s+Apache Kafka 3\.9\.1 ready/);
    expect(result.stdout).toMatch(/Docker engine/);
    expect(result.stdout).toMatch(/Disk\s+[\d.]+ GiB free/);
    expect(result.code, result.stdout).toBe(0);
  });

  it('down stops every member and leaves no process behind', async () => {
    const status = JSON.parse((await runCli(['status', '--json'], { home })).stdout) as StatusJson;
    const pids = status.members.map((m) => m.pid!).filter(Boolean);
    const supervisorPid = (JSON.parse(readFileSync(join(home, 'supervisor.json'), 'utf8')) as { pid: number }).pid;
    const result = await runCli(['down'], { home, timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the lab is down');
    for (const pid of [...pids, supervisorPid]) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
    expect(processesMentioning(home)).toEqual([]);

    const after = await runCli(['status'], { home });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^error: the lab is not running in this folder — start it with `pizza-lab up`\n$/);
    const again = await runCli(['down'], { home });
    expect(again).toMatchObject({ code: 0, stdout: 'the lab was not running\n' });
  });

  it('Ctrl-C during up stops what was started and leaves no process', async () => {
    let interrupted = false;
    const result = await runCli(['up', ...portArgs], {
      home,
      timeoutMs: 120_000,
      onStderr: (text, child) => {
        if (!interrupted && /kafka\s+starting/.test(text)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('interrupted');
    expect(processesMentioning(home)).toEqual([]);
  });

  it('a port already taken gives an error naming the port and the flag to change it', async () => {
    const blocker: Server = createServer();
    const port = Number(portArgs[portArgs.indexOf('--gateway-port') + 1]);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runCli(['up', ...portArgs], { home, timeoutMs: 120_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: port ${port} (gateway) is already taken — stop what listens there (another lab? \`pizza-lab down\` in its folder), or choose another with --gateway-port`);
      expect(processesMentioning(home)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('bad command lines', () => {
  it('an unknown command is one line and exit 2', async () => {
    const result = await runCli(['fly'], { home: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("error: unknown command 'fly'");
  });

  it('an unknown flag is one line and exit 2', async () => {
    const result = await runCli(['status', '--colour'], { home: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("error: unknown option '--colour'");
  });

  it('a bad value names the flag and exits 2', async () => {
    const result = await runCli(['up', '--brokers', 'seven'], { home: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--brokers/);
  });

  it('logs of an unknown member lists the members', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pizza-lab-logs-'));
    const result = await runCli(['logs', 'kafak'], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: no member named "kafak" — members: postgres, kafka, fault-proxy, .*supervisor\n$/);
    await rm(home, { recursive: true, force: true });
  });

  it('--help shows examples', async () => {
    const result = await runCli(['up', '--help'], { home: tmpdir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('$ pizza-lab up --scale order=3');
  });
});
