import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../core/errors.js';

/** Flags of `lamkit predict` as commander hands them over. */
export interface PredictFlags {
  checkpoint: string;
  input: string;
}

/** One prediction: the action's name and index, and every class's probability. */
export interface Prediction {
  action: string;
  index: number;
  probabilities: Record<string, number>;
}

/**
 * `lamkit predict --checkpoint <ckpt> --input <file.jsonl>`: the
 * instruction-to-action classifier as a tool other programs call. Each input
 * line is `{"instruction": "...", "state": [...]}` (`state` optional: the
 * training mean is used, i.e. a normalized 0); the output is one JSON line
 * per input line, `{"action", "index", "probabilities": {name: p}}`, names
 * from the dataset's class names. Needs a checkpoint of a network with
 * class probabilities (`text-transformer`, as `lamkit finetune` trains on
 * an instruction dataset). A line that is not JSON, an instruction the
 * checkpoint's `Text` space does not allow (too long, a character outside
 * its charset) or a state of the wrong size is an error naming the line,
 * the value and the space.
 */
export async function runPredict(flags: PredictFlags, write: (line: string) => void): Promise<number> {
  const lib = await import('../../index.js');
  const { data } = lib.readCheckpoint(flags.checkpoint);
  const space = data.meta.observationSpace;
  const texts = lib.textRanges(space);
  const names = classNames(data, lib);
  if (texts.length !== 1 || !(space instanceof lib.Dict)) {
    throw new InvalidArgument(formatError('lamkit predict --checkpoint', 'a checkpoint of an instruction-following network (its observation a Dict with one Text part)', `observations ${space.toString()}`, 'Train one with lamkit finetune on a dataset recorded from CommandAvatar-v0'));
  }
  let text: string;
  try {
    text = readFileSync(flags.input, 'utf8');
  } catch (err) {
    throw new InvalidArgument(formatError('lamkit predict --input', 'a readable JSON-lines file', describeValue(flags.input), (err as Error).message));
  }
  const textKey = texts[0].key;
  const textSpace = texts[0].space;
  const stateKeys = space.keys.filter((k) => k !== textKey);
  const stats = data.normalization.obs;
  const obsDim = space.flatDim;
  const rows: Float32Array[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `lamkit predict --input ${flags.input}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new FileFormatError(formatError(where, 'a JSON object {"instruction": "...", "state": [...]}', describeValue(line), 'Write one JSON object per line'));
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FileFormatError(formatError(where, 'a JSON object {"instruction": "...", "state": [...]}', describeValue(obj), 'Write one JSON object per line'));
    const o = obj as Record<string, unknown>;
    const instruction = o.instruction ?? o[textKey];
    const why = textSpace.explain(instruction);
    if (why !== null) throw new InvalidArgument(formatError(`${where}.instruction`, `an instruction in the checkpoint's space ${textSpace.toString()}`, `${describeValue(instruction)} (${why})`, `Shorten it to at most ${textSpace.maxLength} characters of the charset`));
    const flat = new Float32Array(obsDim);
    // Missing state: the training mean, so the normalized state is 0.
    if (stats) for (let j = 0; j < obsDim; j++) flat[j] = stats.mean[j];
    textSpace.flattenInto(instruction as string, flat, texts[0].offset);
    if (o.state !== undefined) {
      const stateSpace = stateKeys.length === 1 ? space.spaces[stateKeys[0]] : null;
      const sWhy = stateSpace ? stateSpace.explain(Array.isArray(o.state) ? Float32Array.from(o.state as number[]) : o.state) : 'this checkpoint has no single state part';
      if (sWhy !== null || !stateSpace) throw new InvalidArgument(formatError(`${where}.state`, `a state in ${stateSpace?.toString() ?? 'the observation space'}`, `${describeValue(o.state)} (${sWhy})`, 'Pass the state as the env observes it, or omit it'));
      let offset = 0;
      for (const k of space.keys) {
        if (k === stateKeys[0]) break;
        offset += space.spaces[k].flatDim;
      }
      stateSpace.flattenInto(Float32Array.from(o.state as number[]), flat, offset);
    }
    if (stats) for (let j = 0; j < obsDim; j++) {
      const v = (flat[j] - stats.mean[j]) / Math.sqrt(stats.var[j] + 1e-8);
      flat[j] = Math.max(-data.normalization.clipObs, Math.min(data.normalization.clipObs, v));
    }
    rows.push(flat);
  });
  if (rows.length === 0) return 0;
  await lib.initBackend();
  const net = lib.restorePolicy(data.policy, 'lamkit predict --checkpoint policy');
  try {
    if (!(net instanceof lib.TextTransformerActorCritic)) throw new InvalidArgument(formatError('lamkit predict --checkpoint', 'a text-transformer network (class probabilities from an instruction)', `a '${net.kind}' network`, 'Train one with lamkit finetune on an instruction dataset'));
    const flat = new Float32Array(rows.length * obsDim);
    rows.forEach((r, i) => flat.set(r, i * obsDim));
    const probs = net.probabilities({ rows: rows.length, flat });
    const n = names.length;
    for (let i = 0; i < rows.length; i++) {
      let best = 0;
      const p: Record<string, number> = {};
      for (let c = 0; c < n; c++) {
        p[names[c]] = Number(probs[i * n + c].toFixed(6));
        if (probs[i * n + c] > probs[i * n + best]) best = c;
      }
      write(JSON.stringify({ action: names[best], index: best, probabilities: p } satisfies Prediction));
    }
  } finally {
    net.dispose();
  }
  return rows.length;
}

/** The action names of a checkpoint's Discrete action space: its dataset's class names (lamkit finetune keeps them in `algo.config.classNames`), else `0..n-1`. */
function classNames(data: import('../../../agents/checkpoint/checkpoint-types.js').CheckpointData, lib: typeof import('../../index.js')): string[] {
  const act = data.meta.actionSpace;
  if (!(act instanceof lib.Discrete)) throw new InvalidArgument(formatError('lamkit predict --checkpoint', 'a classifier (a Discrete action space)', act.toString(), 'Predict runs instruction-to-action classifiers'));
  const stored = (data.algo.config as { classNames?: unknown }).classNames;
  if (Array.isArray(stored) && stored.length === act.n && stored.every((s) => typeof s === 'string')) return stored as string[];
  return Array.from({ length: act.n }, (_, i) => String(act.start + i));
}

/** Registers `lamkit predict`. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('Instruction to action: one JSON line per input line with the predicted action and the class probabilities')
    .requiredOption('--checkpoint <dir>', 'a checkpoint of lamkit finetune on an instruction dataset')
    .requiredOption('--input <file.jsonl>', 'lines like {"instruction": "jump!", "state": [...]} (state optional)')
    .action(async (flags: PredictFlags) => {
      await runPredict(flags, (line) => process.stdout.write(line + '\n'));
    });
}
