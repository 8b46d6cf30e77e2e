import { Command, CommanderError } from 'commander';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LamkitError } from '../core/errors.js';
import { tuneAllocator } from '../core/tune-allocator.js';

/**
 * Each subcommand lives in `src/cli/commands/<name>.ts` and exports
 * `register(program)`. Registration only declares flags; heavy modules
 * (tfjs, MuJoCo, ws) are imported inside each action, so `lamkit --help`
 * starts fast.
 */
const COMMANDS: Array<() => Promise<{ register: (program: Command) => void }>> = [
  () => import('./commands/envs.js'),
  () => import('./commands/view.js'),
  () => import('./commands/train.js'),
  () => import('./commands/eval.js'),
  () => import('./commands/serve.js'),
  () => import('./commands/sim-robot.js'),
  () => import('./commands/finetune.js'),
  () => import('./commands/pretrain.js'),
  () => import('./commands/predict.js'),
  () => import('./commands/imitate.js'),
  () => import('./commands/reward.js'),
  () => import('./commands/bench.js'),
  () => import('./commands/record.js'),
  () => import('./commands/dataset.js'),
  () => import('./commands/export.js'),
  () => import('./commands/worker.js'),
];

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('lamkit')
    .description('Train, evaluate, view and serve robot policies.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  for (const load of COMMANDS) (await load()).register(program);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof LamkitError) {
      process.stderr.write(`lamkit: ${err.name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * Runs the CLI and sets `process.exitCode`. `bin/lamkit.js` calls it
 * explicitly: under `npx lamkit` the script path is `.bin/lamkit`, so it
 * cannot be recognised from `process.argv[1]`.
 */
export function runCli(argv: readonly string[]): Promise<void> {
  // Every command but the listings works with buffers made and freed in loops: keep freed memory mapped (~3 ms, in
  // the background; see tune-allocator.ts).
  if (argv.length > 0 && argv[0] !== 'envs' && !argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) void tuneAllocator();
  return main(argv).then(
    (code) => {
      // An action may have set its own code (130: stopped by Ctrl-C, see interrupt.ts).
      if (code !== 0 || !process.exitCode) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(reportUnexpected(err, argv) + '\n');
      process.exitCode = 1;
    },
  );
}

/**
 * An error lamkit did not expect (a bug, or a failure no typed error covers
 * yet): one line on stderr with the message and where the full report (the
 * stack, its causes, the command, versions) was written, instead of a stack
 * trace in the user's terminal. Returns that line.
 */
export function reportUnexpected(err: unknown, argv: readonly string[], dir = tmpdir()): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const first = (e.message.split('\n')[0] ?? '').slice(0, 300);
  const lines = [`lamkit ${argv.join(' ')}`, `node ${process.version} ${process.platform}-${process.arch}, cwd ${process.cwd()}`, `time ${new Date().toISOString()}`, ''];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    lines.push(depth === 0 ? '' : 'Caused by:', c instanceof Error ? (c.stack ?? `${c.name}: ${c.message}`) : String(c));
  }
  try {
    const path = join(dir, `lamkit-error-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    writeFileSync(path, lines.join('\n') + '\n');
    return `lamkit: unexpected error: ${e.name}: ${first} (full report in ${path}; please include it when reporting a bug)`;
  } catch {
    return `lamkit: unexpected error: ${e.stack ?? `${e.name}: ${first}`}`;
  }
}

// `node --import tsx src/cli/main.ts ...` (npm run lamkit).
if (import.meta.url === `file://${process.argv[1]}`) void runCli(process.argv.slice(2));
