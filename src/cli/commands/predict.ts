import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { FileFormatError, InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import type { Dict } from '../../core/spaces/dict.js';
import type { TextRange } from '../../core/spaces/text.js';

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

/** A trained instruction-to-action classifier (what `lamkit predict` and bench/language.ts run). */
export interface InstructionClassifier {
  space: Dict;
  text: TextRange;
  /** Action names by index (the dataset's class names). */
  names: string[];
  /** The training mean of each flat observation column (a missing state is this). */
  mean: Float32Array;
  /** Class probabilities `Float64Array [rows x names.length]` of raw flat observations `[rows x obsDim]`. */
  classify(raw: Float32Array, rows: number): Float64Array;
  dispose(): void;
}

/**
 * Loads the network of a `lamkit finetune` checkpoint trained on an
 * instruction dataset (a `text-transformer` over a `Dict` observation with
 * one `Text` part, a Discrete action space) with its frozen observation
 * normalization. Typed errors name the checkpoint and what it holds.
 */
export async function loadInstructionClassifier(dir: string, where = 'lamkit predict --checkpoint'): Promise<InstructionClassifier> {
  const lib = await import('../../index.js');
  const { data } = lib.readCheckpoint(dir);
  const space = data.meta.observationSpace;
  const texts = lib.textRanges(space);
  if (texts.length !== 1 || !(space instanceof lib.Dict)) {
    throw new InvalidArgument(formatError(where, 'a checkpoint of an instruction-following network (its observation a Dict with one Text part)', `observations ${space.toString()}`, 'Train one with lamkit finetune on a dataset recorded from CommandAvatar-v0'));
  }
  const act = data.meta.actionSpace;
  if (!(act instanceof lib.Discrete)) throw new InvalidArgument(formatError(where, 'a classifier (a Discrete action space)', act.toString(), 'Predict runs instruction-to-action classifiers'));
  const stored = (data.algo.config as { classNames?: unknown }).classNames;
  const names = Array.isArray(stored) && stored.length === act.n && stored.every((s) => typeof s === 'string') ? (stored as string[]) : Array.from({ length: act.n }, (_, i) => String(act.start + i));
  await lib.initBackend();
  const net = lib.restorePolicy(data.policy, `${where} policy`);
  if (!(net instanceof lib.TextTransformerActorCritic)) {
    net.dispose();
    throw new InvalidArgument(formatError(where, 'a text-transformer network (class probabilities from an instruction)', `a '${net.kind}' network`, 'Train one with lamkit finetune on an instruction dataset'));
  }
  const obsDim = space.flatDim;
  const stats = data.normalization.obs;
  const clip = data.normalization.clipObs;
  const mean = new Float32Array(obsDim);
  if (stats) mean.set(stats.mean);
  return {
    space,
    text: texts[0],
    names,
    mean,
    classify: (raw, rows) => {
      const flat = raw.slice(0, rows * obsDim);
      if (stats) {
        for (let i = 0; i < flat.length; i++) {
          const j = i % obsDim;
          const v = (flat[i] - stats.mean[j]) / Math.sqrt(stats.var[j] + 1e-8);
          flat[i] = v < -clip ? -clip : v > clip ? clip : v;
        }
      }
      return net.probabilities({ rows, flat });
    },
    dispose: () => net.dispose(),
  };
}

/**
 * `lamkit predict --checkpoint <ckpt> --input <file.jsonl>`: the
 * instruction-to-action classifier as a tool other programs call. Each input
 * line is `{"instruction": "...", "state": [...]}`: the instruction and
 * optionally any other part of the observation by its key (`state`, a
 * camera `image` as a flat row-major array; a missing part is the training
 * mean, i.e. a normalized 0); the output is one JSON line per input
 * line, `{"action", "index", "probabilities": {name: p}}`, names from the
 * dataset's class names. A line that is not JSON, an instruction the
 * checkpoint's `Text` space does not allow (too long, a character outside
 * its charset) or a state or image of the wrong size is an error naming the line,
 * the value and the space. Returns the number of predictions.
 */
export async function runPredict(flags: PredictFlags, write: (line: string) => void): Promise<number> {
  let text: string;
  try {
    text = readFileSync(flags.input, 'utf8');
  } catch (err) {
    throw new InvalidArgument(formatError('lamkit predict --input', 'a readable JSON-lines file', describeValue(flags.input), (err as Error).message));
  }
  const lib = await import('../../index.js');
  const checkpoint = lib.readCheckpoint(flags.checkpoint).data;
  if (checkpoint.meta.actionSpace instanceof lib.Box) return predictActions(flags, text, write);
  const clf = await loadInstructionClassifier(flags.checkpoint);
  try {
    const rows = parseObservations(text, flags.input, clf.space, clf.text, clf.mean);
    if (rows.length === 0) return 0;
    const obsDim = clf.space.flatDim;
    const batch = new Float32Array(rows.length * obsDim);
    rows.forEach((r, i) => batch.set(r, i * obsDim));
    const probs = clf.classify(batch, rows.length);
    const n = clf.names.length;
    for (let i = 0; i < rows.length; i++) {
      let best = 0;
      const p: Record<string, number> = {};
      for (let c = 0; c < n; c++) {
        p[clf.names[c]] = Number(probs[i * n + c].toFixed(6));
        if (probs[i * n + c] > probs[i * n + best]) best = c;
      }
      write(JSON.stringify({ action: clf.names[best], index: best, probabilities: p } satisfies Prediction));
    }
    return rows.length;
  } finally {
    clf.dispose();
  }
}

/**
 * A continuous-action checkpoint (LangReach-v0: joint velocities from an
 * instruction, the joints and a camera image): one line
 * `{"action": [...]}` per input, the policy's deterministic action (the
 * mean), through the checkpoint's own observation normalization.
 */
async function predictActions(flags: PredictFlags, text: string, write: (line: string) => void): Promise<number> {
  const lib = await import('../../index.js');
  const policy = await lib.loadPolicy(flags.checkpoint);
  try {
    const space = policy.observationSpace;
    const ranges = lib.textRanges(space);
    if (ranges.length !== 1 || !(space instanceof lib.Dict)) {
      throw new InvalidArgument(formatError('lamkit predict --checkpoint', 'a checkpoint of an instruction-following network (its observation a Dict with one Text part)', `observations ${space.toString()}`, 'Train one with lamkit finetune on a dataset recorded from LangReach-v0 or CommandAvatar-v0'));
    }
    const stats = lib.readCheckpoint(flags.checkpoint).data.normalization.obs;
    const mean = new Float32Array(space.flatDim);
    if (stats) mean.set(stats.mean);
    const rows = parseObservations(text, flags.input, space, ranges[0], mean);
    for (const row of rows) {
      const a = await policy.act(row, { deterministic: true });
      write(JSON.stringify({ action: Array.from(a, (v) => Number(v.toFixed(6))) }));
    }
    return rows.length;
  } finally {
    policy.dispose?.();
  }
}

/**
 * The flat observations of a JSON-lines input: each line's instruction and
 * any other part by its key (state, image), a missing part the training
 * mean. Typed errors name the line, the value and the space.
 */
function parseObservations(text: string, input: string, space: Dict, range: TextRange, mean: Float32Array): Float32Array[] {
  // Every other part of the observation (state, image) by its key, with its place in the flat form.
  const parts: Array<{ key: string; offset: number; space: import('../../core/spaces/space.js').Space<unknown> }> = [];
  let offset = 0;
  for (const k of space.keys) {
    if (k !== range.key) parts.push({ key: k, offset, space: space.spaces[k] });
    offset += space.spaces[k].flatDim;
  }
  const rows: Float32Array[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `lamkit predict --input ${input}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      obj = undefined;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FileFormatError(formatError(where, 'a JSON object {"instruction": "...", "state": [...]}', describeValue(line), 'Write one JSON object per line'));
    const o = obj as Record<string, unknown>;
    const instruction = o.instruction ?? o[range.key];
    const why = range.space.explain(instruction);
    if (why !== null) throw new InvalidArgument(formatError(`${where}.instruction`, `an instruction in the checkpoint's space ${range.space.toString()}`, `${describeValue(instruction)} (${why})`, `Shorten it to at most ${range.space.maxLength} characters of the charset`));
    const flat = mean.slice();
    range.space.flattenInto(instruction as string, flat, range.offset);
    for (const part of parts) {
      if (o[part.key] === undefined) continue;
      const given = o[part.key];
      const box = part.space as { dtype?: string };
      const value = Array.isArray(given) ? (box.dtype === 'uint8' ? Uint8Array.from(given as number[]) : Float32Array.from(given as number[])) : given;
      const why = part.space.explain(value);
      if (why !== null) throw new InvalidArgument(formatError(`${where}.${part.key}`, `${part.key} values in the checkpoint's space ${part.space.toString()}`, `${describeValue(given)} (${why})`, `Pass the ${part.key} as the env observes it (a flat array, row-major), or omit it`));
      part.space.flattenInto(value, flat, part.offset);
    }
    rows.push(flat);
  });
  return rows;
}

/** Registers `lamkit predict`. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('Instruction to action: one JSON line per input line with the predicted action and the class probabilities (a continuous action: its values)')
    .requiredOption('--checkpoint <dir>', 'a checkpoint of lamkit finetune on an instruction dataset')
    .requiredOption('--input <file.jsonl>', 'lines like {"instruction": "jump!", "state": [...]} (state optional)')
    .action(async (flags: PredictFlags) => {
      await runPredict(flags, (line) => process.stdout.write(line + '\n'));
    });
}
