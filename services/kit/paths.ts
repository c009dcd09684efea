import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, whether the service runs from source or from dist/. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find package.json above the service');
    dir = parent;
  }
  return dir;
})();

/** A service's source folder (its SQL migrations and static files live there, not in dist/). */
export function serviceDir(service: string, ...parts: string[]): string {
  return join(packageRoot, 'services', service, ...parts);
}
