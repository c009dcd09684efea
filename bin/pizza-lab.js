#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm ci` / `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('error: pizza-lab is not built — run `npm run build` (or `npm install`) in the project folder\n');
  process.exit(1);
}
// The live views (dashboard, tail on a terminal) are drawn by Ink, which draws nothing but the
// last frame when a CI variable is set. A terminal has a person in front of it: let it be live.
if (process.stdout.isTTY) {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}
await import(main);
