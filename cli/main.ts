/**
 * pizza-lab: the command line. Commands are declared as data in cli/commands/; this file turns
 * them into a commander program and owns how errors end a command: one line, `error: <what> —
 * <what to do>`, exit 1 (2 for a bad command line), the stack trace only under --debug.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { commands } from './commands/index.js';
import type { CommandContext, CommandSpec } from './lib/command.js';
import { LabError, isLabError, messageOf } from './lib/errors.js';
import { errColor } from './lib/output.js';
import { projectRoot } from './lib/paths.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

const controller = new AbortController();
let interrupted = 0;
process.on('SIGINT', () => {
  interrupted++;
  // A second Ctrl-C means "now": leave at once.
  if (interrupted > 1) process.exit(130);
  controller.abort(new LabError('interrupted', { exitCode: 130 }));
});

const debug = process.argv.includes('--debug');

// kafkajs 2.2.4 can leave a request's rejection unhandled when a broker dies under it (its
// issues #702, #1686): the call that made the request has already failed and been dealt with.
// Such a stray must not end a scenario run that is watching a broker die; anything else still does.
process.on('unhandledRejection', (reason) => {
  if (reason instanceof Error && reason.name.startsWith('KafkaJS')) {
    if (debug) process.stderr.write(`${errColor.dim(`(a stray kafkajs rejection, ignored: ${reason.name}: ${reason.message})`)}\n`);
    return;
  }
  process.exitCode = printError(reason);
  process.exit();
});

function printError(error: unknown): number {
  if (isLabError(error)) {
    const hint = error.hint ? ` — ${error.hint}` : '';
    process.stderr.write(`${errColor.red('error:')} ${error.message}${hint}\n`);
    const lines = (error.details as { lastLogLines?: string[] } | undefined)?.lastLogLines;
    if (lines && lines.length > 0) process.stderr.write(`${errColor.dim(`last log lines:\n${lines.map((l) => `  ${l}`).join('\n')}`)}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  process.stderr.write(`${errColor.red('error:')} ${messageOf(error)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

function build(spec: CommandSpec, parent: Command): void {
  const command = parent.command(spec.name).description(spec.description);
  for (const alias of spec.aliases ?? []) command.alias(alias);
  for (const arg of spec.arguments ?? []) {
    const name = `${arg.name}${arg.variadic ? '...' : ''}`;
    const argument = command.createArgument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
    if (arg.choices) argument.choices(arg.choices);
    command.addArgument(argument);
  }
  for (const opt of spec.options ?? []) {
    const option = new Option(opt.flags, opt.description);
    if (opt.choices) option.choices(opt.choices);
    if (opt.parse) {
      const parse = opt.parse;
      option.argParser((value: string, previous: unknown) => {
        try {
          return parse(value, previous);
        } catch (error) {
          throw new InvalidArgumentError(messageOf(error));
        }
      });
    }
    // A default written as text ("30s") reaches the action parsed, like a given value; --help shows it as written.
    if (typeof opt.default === 'string' && opt.parse) option.default(opt.parse(opt.default, undefined), JSON.stringify(opt.default));
    else if (opt.default !== undefined) option.default(opt.default);
    command.addOption(option);
  }
  const help = [spec.details, spec.examples?.length ? `Examples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}` : undefined].filter(Boolean).join('\n\n');
  if (help) command.addHelpText('after', `\n${help}`);
  // --debug is the program's, but stays welcome after a command's name (the program's options are positional, below).
  command.addOption(new Option('--debug', 'print stack traces on errors').hideHelp());
  configure(command);
  // A parent's options stop at its subcommand's name: `scenario list --json` is list's --json, not scenario's.
  if (spec.subcommands?.length) command.enablePositionalOptions();
  for (const sub of spec.subcommands ?? []) build(sub, command);
  if (spec.action) {
    const action = spec.action;
    command.action(async (...received: unknown[]) => {
      const cmd = received.at(-1) as Command;
      const opts = cmd.opts();
      const args = cmd.args.slice(0, (spec.arguments ?? []).length).map(String);
      const variadic = spec.arguments?.at(-1)?.variadic ? cmd.processedArgs.at(-1) : undefined;
      const context: CommandContext = { signal: controller.signal, debug };
      const code = await action(variadic ? [...args.slice(0, -1), ...(variadic as string[])] : args, opts, context);
      process.exitCode = code ?? 0;
    });
  }
}

function configure(command: Command): Command {
  return command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(errColor.red(text.replace(/^error:/, 'error:'))) });
}

const program = configure(new Command('pizza-lab'))
  .description('A lab for failure experiments on an event-driven pizza-ordering saga (Kafka, PostgreSQL, outbox, retries, DLQ).')
  .version(version, '-V, --version')
  .option('--debug', 'print stack traces on errors')
  // Needed for a command's own options to stop at its subcommand's name (see build).
  .enablePositionalOptions()
  .addHelpText(
    'after',
    `
Start here:
  $ pizza-lab up                                   boot the lab and print its URLs
  $ pizza-lab order --pizza margherita:2 --follow   place an order and watch its saga
  $ pizza-lab down                                 stop everything`,
  );

for (const spec of commands) build(spec, program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = printError(error);
  }
}
// Output to files, pipes and terminals is synchronous on Linux, so nothing is lost by leaving now;
// leaving now means a client library's idle socket can never keep a finished command alive.
process.exit(process.exitCode ?? 0);
