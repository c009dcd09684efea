import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/lab.js';
import { Wait } from '../../lib/wait.js';
import { homePaths } from './home.js';
import { readTail, rotateIfOver, rotatedLog } from './log-files.js';
import { createSupervisor, type Supervisor } from './supervisor.js';

const dirs: string[] = [];
const supervisors: Supervisor[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pizza-lab-logs-'));
  dirs.push(dir);
  return dir;
};

afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('log files', () => {
  it('rotates a log only past its limit, keeping the part before in .1', () => {
    const file = join(tempDir(), 'order.log');
    expect(rotateIfOver(file, { limit: 10, open: true })).toBe(false); // no file yet
    writeFileSync(file, '0123456789');
    expect(rotateIfOver(file, { limit: 10, open: true })).toBe(false);
    writeFileSync(file, 'first part\n');
    expect(rotateIfOver(file, { limit: 10, open: true })).toBe(true);
    expect(readFileSync(rotatedLog(file), 'utf8')).toBe('first part\n');
    expect(statSync(file).size).toBe(0); // emptied in place: a running member still writes to it
    writeFileSync(file, 'second part\n');
    expect(rotateIfOver(file, { limit: 10, open: false })).toBe(true);
    expect(readFileSync(rotatedLog(file), 'utf8')).toBe('second part\n'); // the older part is replaced
    expect(existsSync(file)).toBe(false); // renamed: the next start opens a new file
  });

  it('reads the end of a log from an offset', () => {
    const file = join(tempDir(), 'kafka.log');
    writeFileSync(file, 'old run\nnew run: line 1\nline 2\n');
    expect(readTail(file, 1024, 8)).toBe('new run: line 1\nline 2\n');
    expect(readTail(file, 7, 8)).toBe('line 2\n');
    expect(readTail(file, 1024, 100)).toBe('');
  });

  /** A supervisor of one member, `chatty`, running `script`; logs rotate past 64 KiB. */
  const superviseChatty = (script: string, logCheckMs: number) => {
    const paths = homePaths(tempDir());
    const logged: string[] = [];
    const supervisor = createSupervisor({
      paths,
      log: (message) => logged.push(message),
      bootstrap: {},
      logLimitBytes: 64 * 1024,
      logCheckMs,
      members: [
        {
          name: 'chatty',
          kind: 'service',
          address: '127.0.0.1:0',
          phase: 0,
          command: process.execPath,
          args: ['-e', script],
          ready: Wait.forLogMessage('line 1 ', { timeoutMs: 10_000 }),
          health: Wait.forLogMessage('line', { timeoutMs: 2000 }),
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 5000,
        },
      ],
    });
    supervisors.push(supervisor);
    return { supervisor, logged, file: paths.memberLog('chatty') };
  };

  it('a log over the limit from an earlier run is set aside before its member starts', async () => {
    const { supervisor, file } = superviseChatty("console.log('line 1 of this run'); setInterval(() => {}, 1000);", 60_000);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'line of the earlier run\n'.repeat(4000));
    await supervisor.start();
    expect(readFileSync(rotatedLog(file), 'utf8')).toMatch(/^line of the earlier run\n/);
    const live = readFileSync(file, 'utf8');
    expect(live).toMatch(/=== .* starting chatty/);
    expect(live).toContain('line 1 of this run');
    expect(live).not.toContain('earlier run');
  });

  it('a member that keeps writing has its log rotated by the supervisor, and its new lines start the emptied file', async () => {
    const writer = "let i = 0; setInterval(() => { for (let k = 0; k < 10; k++) console.log(`line ${++i} ${'x'.repeat(200)}`); }, 10);";
    const { supervisor, logged, file } = superviseChatty(writer, 100);
    await supervisor.start();

    await eventually('two rotations', () => logged.filter((m) => m.startsWith('chatty.log passed 64 KiB')).length >= 2);
    await eventually('lines after the last rotation', () => statSync(file).size > 0);
    await supervisor.stopAll();

    expect(existsSync(rotatedLog(file))).toBe(true);
    expect(statSync(rotatedLog(file)).size).toBeGreaterThan(64 * 1024);
    // Bounded: the live part is what was written since the last check, not everything since the start.
    const live = readFileSync(file, 'utf8');
    const lastLine = Number(/line (\d+) x+\n$/.exec(live)?.[1]);
    const written = lastLine * 205; // bytes the member wrote, at the least
    expect(written).toBeGreaterThan(2 * 64 * 1024);
    expect(live.length).toBeLessThan(written - 64 * 1024);
    // The member appends, so after the emptying its lines start at byte 0 — no hole of zero bytes.
    expect(live.startsWith('line ')).toBe(true);
    expect(live.includes('\0')).toBe(false);
  });
});
