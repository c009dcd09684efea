import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { statFields, waitUntilStopped } from './processes.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A child that only waits, and its process id. */
function waiter(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child.pid!);
  return child.pid!;
}

describe('waitUntilStopped', () => {
  it('answers once a process sent SIGSTOP is stopped, and says so when one never stops', async () => {
    const stopped = waiter();
    process.kill(stopped, 'SIGSTOP');
    expect(await waitUntilStopped(stopped, 2000)).toBe(true);
    expect(statFields(stopped)?.[0]).toBe('T');

    const running = waiter();
    expect(await waitUntilStopped(running, 200)).toBe(false);
    expect(statFields(running)?.[0]).not.toBe('T');
  });
});
