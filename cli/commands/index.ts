import type { CommandSpec } from '../lib/command.js';
import bench from './bench.js';
import dlq from './dlq.js';
import doctor from './doctor.js';
import dashboard from './dashboard.js';
import down from './down.js';
import fault from './fault.js';
import load from './load.js';
import logs from './logs.js';
import order from './order.js';
import scenario from './scenario.js';
import setup from './setup.js';
import status from './status.js';
import trace from './trace.js';
import tail from './tail.js';
import up from './up.js';

/** Every command, in the order `--help` lists them. */
export const commands: readonly CommandSpec[] = [up, status, order, tail, trace, dashboard, load, scenario, fault, dlq, logs, down, setup, doctor, bench];
