import { Command, CommanderError } from 'commander';
import { LamkitError } from '../core/errors.js';

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
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lamkit: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

// `node --import tsx src/cli/main.ts ...` (npm run lamkit).
if (import.meta.url === `file://${process.argv[1]}`) void runCli(process.argv.slice(2));
