import type { Command } from 'commander';

/**
 * `lamkit envs [--check]`: lists the registered tasks with their spaces and
 * limits; `--check` also runs `checkEnv` on each (seeded determinism, spaces,
 * step-before-reset, close twice) and prints `ok` or the failure.
 */
export function register(program: Command): void {
  program
    .command('envs')
    .description('List the registered tasks (--check: run checkEnv on each)')
    .option('--check', 'run checkEnv on every task and fail if one fails')
    .action(async (opts: { check?: boolean }) => {
      const { registeredIds, makeAsync, make, checkEnv, EnvCheckError } = await import('../../index.js');
      const failed: string[] = [];
      for (const id of registeredIds()) {
        const env = await makeAsync(id);
        const lines = [
          id,
          `  obs: ${env.observationSpace.toString()}`,
          `  act: ${env.actionSpace.toString()}`,
          `  maxEpisodeSteps: ${env.spec?.maxEpisodeSteps ?? '-'}  rewardThreshold: ${env.spec?.rewardThreshold ?? '-'}`,
        ];
        if (opts.check) {
          try {
            checkEnv(env, { makeFresh: () => make(id) });
            lines.push('  checkEnv: ok');
          } catch (err) {
            failed.push(id);
            lines.push(`  checkEnv: FAILED ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        env.close();
        process.stdout.write(lines.join('\n') + '\n');
      }
      if (failed.length > 0) {
        throw new EnvCheckError(`envs --check: expected every task to pass checkEnv, got failures in ${failed.join(', ')}. See the messages above.`);
      }
    });
}
