import type { Command } from 'commander';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';

/** Registers `lamkit dataset info|split|merge|compact`. */
export function register(program: Command): void {
  const dataset = program.command('dataset').description('Inspect and manage LeRobot datasets (v3.0; info reads v2.1 too)');

  dataset
    .command('info')
    .description('Episodes, frames, tasks, splits, per-feature stats, success rate and the return distribution')
    .argument('<dir>', 'dataset directory')
    .option('--read-only', 'do not repair a dataset a killed recording left torn (report only)')
    .action(async (dir: string, flags: { readOnly?: boolean }) => {
      const { openDataset, describeDataset } = await import('../../data/index.js');
      process.stdout.write(describeDataset(await openDataset(dir, { readOnly: flags.readOnly })) + '\n');
    });

  dataset
    .command('split')
    .description('Store a seeded train/val/test split by episode (info.json lamkit.splits)')
    .argument('<dir>', 'dataset directory')
    .option('--val <fraction>', 'fraction of episodes for validation', '0.1')
    .option('--test <fraction>', 'fraction of episodes for test', '0.1')
    .option('--seed <n>', 'seed of the shuffle', '0')
    .action(async (dir: string, flags: { val: string; test: string; seed: string }) => {
      const { openDataset, splitEpisodes, writeSplits } = await import('../../data/index.js');
      const fraction = (flag: string, text: string): number => {
        const v = Number(text);
        if (text.trim() === '' || !(v >= 0 && v < 1)) throw new InvalidArgument(formatError(`lamkit dataset split ${flag}`, 'a fraction in [0, 1)', describeValue(text), `Pass e.g. ${flag} 0.1`));
        return v;
      };
      const seed = parseIntFlag('lamkit dataset split --seed', flags.seed, 0, '0') as number;
      const ds = await openDataset(dir);
      const splits = splitEpisodes(ds.episodes.length, { val: fraction('--val', flags.val), test: fraction('--test', flags.test), seed });
      writeSplits(dir, splits);
      process.stdout.write(`lamkit dataset split: ${dir}: train ${splits.train.length}, val ${splits.val.length}, test ${splits.test.length} episodes (seed ${seed})\n`);
    });

  dataset
    .command('merge')
    .description('Append the episodes of several datasets (same features) into --out')
    .argument('<dirs...>', 'source datasets, in order')
    .requiredOption('--out <dir>', 'destination dataset (created, or appended to)')
    .action(async (dirs: string[], flags: { out: string }) => {
      const { mergeDatasets } = await import('../../data/index.js');
      const total = await mergeDatasets(dirs, flags.out);
      process.stdout.write(`lamkit dataset merge: ${dirs.length} dataset(s) -> ${flags.out} (${total} episodes)\n`);
    });

  dataset
    .command('compact')
    .description('Rewrite the data into as few files as the size limit allows (many short recordings leave many small files)')
    .argument('<dir>', 'dataset directory')
    .action(async (dir: string) => {
      const { compactDataset } = await import('../../data/index.js');
      const r = await compactDataset(dir);
      process.stdout.write(`lamkit dataset compact: ${dir}: ${r.before} -> ${r.after} data file(s)\n`);
    });
}
