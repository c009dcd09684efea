import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresLayout, removePostgresData } from './postgres.js';

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) {
    await removePostgresData(join(dir, 'data')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('where a lab keeps its PostgreSQL data', () => {
  it('a lab folder deleted and made again starts with no data, and the data the deleted one kept elsewhere is gone', async () => {
    const project = mkdtempSync(join(tmpdir(), 'pizza-lab-project-')); // 0700: as root, `postgres` cannot reach it
    made.push(project);
    const labData = join(project, 'data');

    const first = await postgresLayout(labData);
    mkdirSync(first.dataDir, { recursive: true });
    writeFileSync(join(first.dataDir, 'PG_VERSION'), '17\n');

    // The student deletes the lab's folder (not `down --volumes`) and starts again in the same place.
    rmSync(labData, { recursive: true, force: true });
    const second = await postgresLayout(labData);

    expect(existsSync(join(second.dataDir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(first.dataDir)).toBe(false);
    // The layout is kept for the lab's later starts.
    expect((await postgresLayout(labData)).dataDir).toBe(second.dataDir);
  });

  it('leaves alone the data of a server that still runs', async () => {
    const project = mkdtempSync(join(tmpdir(), 'pizza-lab-project-'));
    made.push(project);
    const labData = join(project, 'data');
    const first = await postgresLayout(labData);
    mkdirSync(first.dataDir, { recursive: true });
    // A live process in postmaster.pid: this test's own.
    writeFileSync(join(first.dataDir, 'postmaster.pid'), `${process.pid}\n${first.dataDir}\n`);

    rmSync(labData, { recursive: true, force: true });
    await postgresLayout(labData);

    if (first.dataDir.startsWith(labData)) {
      expect(first.dataDir).toBe(join(labData, 'postgres')); // not root: the data was inside the lab's folder, deleted with it
      return;
    }
    expect(readFileSync(join(first.dataDir, 'postmaster.pid'), 'utf8')).toContain(String(process.pid));
    rmSync(first.dataDir, { recursive: true, force: true });
  });
});
