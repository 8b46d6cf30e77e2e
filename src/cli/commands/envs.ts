import type { Command } from 'commander';

/** `lamkit envs`: lists registered tasks with their spaces and limits. */
export function register(program: Command): void {
  program
    .command('envs')
    .description('List the registered tasks')
    .action(async () => {
      const { registeredIds, make } = await import('../../index.js');
      for (const id of registeredIds()) {
        const env = make(id);
        process.stdout.write(`${id}\n  obs: ${env.observationSpace.toString()}\n  act: ${env.actionSpace.toString()}\n  maxEpisodeSteps: ${env.spec?.maxEpisodeSteps ?? '-'}  rewardThreshold: ${env.spec?.rewardThreshold ?? '-'}\n`);
        env.close();
      }
    });
}
