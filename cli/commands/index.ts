import type { CommandSpec } from '../lib/command.js';
import doctor from './doctor.js';
import down from './down.js';
import logs from './logs.js';
import order from './order.js';
import setup from './setup.js';
import status from './status.js';
import up from './up.js';

/** Every command, in the order `--help` lists them. */
export const commands: readonly CommandSpec[] = [up, status, order, logs, down, setup, doctor];
