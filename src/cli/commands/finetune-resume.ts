import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import type { BcState } from '../../../agents/algos/bc/behavior-cloning.js';
import type { ActorCritic, NamedTensor } from '../../../agents/policies/actor-critic.js';
import type { PolicyState } from '../../../agents/policies/policy-state.js';
import type { CheckpointMeta, CheckpointNormalization } from '../../../agents/checkpoint/checkpoint-types.js';
import type { FinetuneFlags } from './finetune.js';

/** The directory in a `lamkit finetune` run that holds the state `--resume` continues from. */
export const SNAPSHOT_DIR = 'resume';

/** The flags a run was started with (what `--resume` runs again; `data` resolved). */
export type SavedFinetuneFlags = Omit<FinetuneFlags, 'progress' | 'resume' | 'out' | 'force'>;

/** The flags that only a fresh run takes (a resumed one keeps its own). */
const FRESH_ONLY = ['data', 'from', 'policyKind', 'mode', 'merge', 'force', 'seed', 'maxSteps', 'config', 'selectBy', 'evalEpisodes'] as const;

/** A rollout validation's figures by step (`--select-by success|return`). */
export type Measured = Map<number, { successRate: number | null; meanReturn: number }>;

/** What {@link readSnapshot} gives back. */
export interface FinetuneSnapshot {
  outDir: string;
  flags: SavedFinetuneFlags;
  /** The network with the weights of the snapshot's step (and its trainable flags). */
  policy: PolicyState;
  state: BcState;
  measured: Measured;
  /** Steps of the training and validation splits when the run started (a dataset that changed since is refused). */
  rows: { train: number; val: number };
}

/**
 * The snapshot of the run in `given` (`lamkit finetune --resume <run>`): its own flags, network, training state and
 * rollout figures. Flags of a fresh run beside `--resume`, a directory without a snapshot (a run that finished, or
 * not a run of `lamkit finetune`) and an `--out` other than the run's own are typed errors.
 */
export async function readSnapshot(given: FinetuneFlags): Promise<FinetuneSnapshot> {
  const where = 'lamkit finetune --resume';
  const run = given.resume as string;
  const stray = FRESH_ONLY.find((k) => given[k] !== undefined);
  if (stray) {
    const flag = `--${stray.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())}`;
    throw new InvalidArgument(formatError(`lamkit finetune ${flag}`, 'no --data, --from, --policy-kind, --mode, --merge, --force, --seed, --max-steps, --config, --select-by or --eval-episodes with --resume (a resumed run keeps its own)', describeValue(given[stray]), `Drop ${flag}, or start a new run without --resume`));
  }
  const outDir = resolve(run);
  if (given.out !== undefined && resolve(given.out) !== outDir) throw new InvalidArgument(formatError('lamkit finetune --out', `no --out with --resume, or the run's own directory (${outDir})`, describeValue(given.out), 'A run continues in its own directory'));
  const dir = join(outDir, SNAPSHOT_DIR);
  // A crash between the two renames of an atomic save leaves only resume.prev: readCheckpoint falls back to it.
  if (!existsSync(join(dir, 'checkpoint.json')) && !existsSync(join(`${dir}.prev`, 'checkpoint.json'))) {
    const finished = existsSync(join(outDir, 'checkpoint', 'checkpoint.json'));
    throw new InvalidArgument(formatError(where, 'a run of lamkit finetune stopped before its last step (its resume/ snapshot)', `${describeValue(run)} (${finished ? 'a finished run: nothing to continue' : 'no such run'})`, finished ? `To train further from its weights, start a new run with --from ${run}` : 'Pass the --out directory of a stopped lamkit finetune run'));
  }
  const lib = await import('../../index.js');
  const ck = lib.readCheckpoint(dir).data;
  if (ck.algo.name !== 'bc') throw new InvalidArgument(formatError(where, 'a run of lamkit finetune', `a run of ${describeValue(ck.algo.name)}`, 'Pass the --out directory of a lamkit finetune run'));
  const s = ck.algo.state as Omit<BcState, 'best' | 'optimizer' | 'average'> & { best: { step: number; loss: number; score: number }; averages: number; measured: Array<[number, { successRate: number | null; meanReturn: number }]>; rows: { train: number; val: number } };
  const arrays = ck.algo.arrays ?? {};
  const best: NamedTensor[] = ck.policy.tensors.map((t) => ({ ...t, data: arrays[`best/${t.name}`] ?? lost(`best/${t.name}`) }));
  const average = s.averages > 0 ? Array.from({ length: s.averages }, (_, i) => arrays[`average/${i}`] ?? lost(`average/${i}`)) : null;
  const { measured, rows, averages: _a, ...rest } = s;
  const state: BcState = { ...rest, best: { ...s.best, tensors: best }, optimizer: ck.algo.optimizer ?? { groups: {} }, average };
  return { outDir, flags: ck.algo.config.flags as SavedFinetuneFlags, policy: ck.policy, state, measured: new Map(measured), rows };

  function lost(name: string): never {
    throw new InvalidArgument(formatError(`${where} ${join(dir, 'arrays.bin')}`, `the array '${name}'`, 'none', 'The snapshot is damaged; start the run again'));
  }
}

/**
 * Writes the state of a running `lamkit finetune` to `<outDir>/resume` (a checkpoint directory, atomically: a crash
 * mid-write leaves the previous snapshot): the network as it is now (the weights of `state.step`), the run's flags,
 * the training state (`BehaviorCloning.fit`'s snapshot; the kept weights and the moving average in `arrays.bin`),
 * the rollout figures so far and the splits' sizes.
 */
export function writeSnapshot(
  lib: typeof import('../../index.js'),
  outDir: string,
  o: { meta: CheckpointMeta; normalization: CheckpointNormalization; flags: SavedFinetuneFlags; net: ActorCritic; state: BcState; measured: Measured | undefined; rows: { train: number; val: number } },
): void {
  const { best, optimizer, average, ...rest } = o.state;
  const arrays: Record<string, Float32Array> = {};
  for (const t of best.tensors) arrays[`best/${t.name}`] = t.data;
  (average ?? []).forEach((a, i) => (arrays[`average/${i}`] = a));
  const state = { ...rest, best: { step: best.step, loss: best.loss, score: best.score }, averages: average?.length ?? 0, measured: [...(o.measured ?? new Map())], rows: o.rows };
  lib.saveCheckpoint(join(outDir, SNAPSHOT_DIR), { meta: o.meta, policy: lib.capturePolicy(o.net), normalization: o.normalization, algo: { name: 'bc', config: { flags: o.flags }, state, optimizer, arrays } });
}

/** Removes a run's snapshot (the run finished: nothing is left to continue). */
export function removeSnapshot(outDir: string): void {
  rmSync(join(outDir, SNAPSHOT_DIR), { recursive: true, force: true });
  rmSync(join(outDir, `${SNAPSHOT_DIR}.prev`), { recursive: true, force: true });
}
