#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm ci` / `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('error: pizza-lab is not built — run `npm run build` (or `npm install`) in the project folder\n');
  process.exit(1);
}
await import(main);
