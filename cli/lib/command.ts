/**
 * Commands as data, after Pastel: each file in cli/commands declares its name, description,
 * arguments, options and examples, and an action. main.ts turns them into a commander program.
 */
import { parseDuration } from './duration.js';

export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
  choices?: readonly string[];
}

export interface OptionSpec {
  /** Commander flags, e.g. `-f, --follow` or `--rate <n>`. */
  flags: string;
  description: string;
  default?: string | boolean | string[] | number;
  choices?: readonly string[];
  /** Converts (and validates) the raw value; repeated options get the previous value. A default written as text goes through it too. */
  parse?: (value: string, previous: unknown) => unknown;
}

export interface CommandContext {
  /** Aborted on Ctrl-C: long commands stop cleanly and undo what they started. */
  signal: AbortSignal;
  debug: boolean;
}

export interface CommandSpec {
  name: string;
  description: string;
  /** Longer text shown under --help. */
  details?: string;
  aliases?: string[];
  arguments?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  examples?: readonly string[];
  subcommands?: readonly CommandSpec[];
  /** Returns the exit code (0 when undefined). */
  action?: (args: string[], options: Record<string, unknown>, context: CommandContext) => Promise<number | void>;
}

export function defineCommand(spec: CommandSpec): CommandSpec {
  return spec;
}

/** Parses a positive integer option, naming the flag when it is not one. */
export function intOption(flag: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${flag} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not "${value}"`);
    }
    return n;
  };
}

const DAY_MS = 86_400_000;

/** Parses a duration option (`500ms`, `30s`, `2m`), naming the flag when it is out of range (at most a day). */
export function durationOption(flag: string, { min = 1 } = {}) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms < min || ms > DAY_MS) throw new Error(`${flag} must be ${min === 0 ? '' : `at least ${min} ms and `}at most 24h, not "${value}"`);
    return ms;
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}
