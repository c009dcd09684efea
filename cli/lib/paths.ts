import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), whether running from source or from dist/. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pizza-lab: cannot find its package.json');
    dir = parent;
  }
  return dir;
})();

/** Compiled JavaScript lives in dist/, mirroring the source tree. */
export function distPath(...parts: string[]): string {
  return join(projectRoot, 'dist', ...parts);
}

/** Where downloaded things (the Kafka jars) are cached across projects: $XDG_CACHE_HOME/pizza-lab. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'pizza-lab');
}

/**
 * The lab's state folder (state, logs, data): PIZZA_LAB_HOME when set (tests use it to run a
 * stack of their own); else the nearest `.pizza-lab/` in the working directory or above it, as
 * git finds `.git/`, so that every command works from any subfolder of the lab's folder; else
 * `.pizza-lab/` in the working directory.
 */
export function labHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (env.PIZZA_LAB_HOME && env.PIZZA_LAB_HOME.length > 0) return resolve(env.PIZZA_LAB_HOME);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.pizza-lab'))) return join(dir, '.pizza-lab');
    if (dirname(dir) === dir) return join(resolve(cwd), '.pizza-lab');
  }
}
