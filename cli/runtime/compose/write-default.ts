/**
 * `npm run compose`: writes the compose files for the default options into compose/, the copy
 * that is committed (test/compose-files.test.ts fails when it differs from what the stack
 * definition generates).
 */
import { join, relative } from 'node:path';
import { projectRoot } from '../../lib/paths.js';
import { defaultStackOptions, planStack } from '../stack-spec.js';
import { composeFiles, writeComposeFiles } from './compose-file.js';

const dir = join(projectRoot, 'compose');
const plan = planStack(defaultStackOptions());
await writeComposeFiles(plan, dir, { root: projectRoot });
for (const file of Object.keys(composeFiles(plan, { baseDir: dir, root: projectRoot }))) {
  process.stdout.write(`wrote ${relative(process.cwd(), join(dir, file))}\n`);
}
