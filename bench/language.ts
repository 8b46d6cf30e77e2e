/**
 * bench:language — CommandAvatar-v0 instruction-to-action accuracy on the
 * seen-phrasing test split and on the held-out phrasing split
 * (envs/command/phrasings.ts, fixed before any model trained), learned vs
 * pretrained word vectors, 3 seeds (issue #15). Targets: >= 99% seen,
 * >= 85% held-out with pretrained vectors.
 *
 * Per seed: `lamkit record`'s path records the scripted expert on seen
 * phrasings; `lamkit finetune`'s path trains the default text-transformer
 * (train/dev/test split by episode, early stopping on dev); accuracy is
 * the classifier's argmax against the expert's label on fresh episodes of
 * each split (other seeds than the training data), plus the finetune
 * report's test-split accuracy.
 *
 * npm run bench:language -- [--seeds 1,2,3] [--episodes 100] [--eval-episodes 50] [--max-steps 1600]
 *   [--embeddings learned,pretrained] [--policy '{"pretrainedWords": 20000}']
 */
import { parseArgs } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lib from '../src/index.js';
import { runFinetune } from '../src/cli/commands/finetune.js';
import { loadInstructionClassifier } from '../src/cli/commands/predict.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    episodes: { type: 'string', default: '100' },
    'eval-episodes': { type: 'string', default: '50' },
    'max-steps': { type: 'string', default: '1600' },
    embeddings: { type: 'string', default: 'learned,pretrained' },
    policy: { type: 'string' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const episodes = Number(values.episodes);
const evalEpisodes = Number(values['eval-episodes']);
const maxSteps = Number(values['max-steps']);
const kinds = values.embeddings.split(',') as Array<'learned' | 'pretrained'>;
// Extra policy config for every run (e.g. '{"pretrainedWords": 20000}'), recorded in the results.
const policyExtra = JSON.parse(values.policy ?? '{}') as Record<string, unknown>;
const ENV = 'CommandAvatar-v0';

interface Row {
  seed: number;
  embeddings: string;
  seenTestSplit: number;
  seenFresh: number;
  heldOut: number;
  steps: number;
  bestStep: number;
  wallSeconds: number;
  load: [number, number];
}

/** Raw flat observations and expert labels of `n` fresh episodes of `phrasing`. */
async function labelled(phrasing: lib.PhrasingSplit, n: number, seed: number): Promise<{ obs: Float32Array; labels: Int32Array }> {
  const env = await lib.makeAsync(ENV, { kwargs: { phrasing } });
  const allowed = new Set(lib.COMMAND_ACTIONS.flatMap((a) => lib.commandPhrasings(a, phrasing)));
  try {
    const expert = new lib.CommandAvatarExpert(env);
    const rows: Float32Array[] = [];
    const labels: number[] = [];
    await lib.runEpisodes(env, expert, {
      episodes: n,
      seed,
      deterministic: true,
      onStep: (s) => {
        // Guard: every evaluated instruction is of the split asked for (held-out ones never seen in training).
        const { instruction } = s.obs as { instruction: string };
        if (!allowed.has(instruction)) throw new Error(`bench:language: ${JSON.stringify(instruction)} is not a ${phrasing} phrasing`);
        const flat = env.observationSpace.flatten(s.obs) as Float32Array;
        rows.push(flat);
        labels.push(s.action as number);
      },
    });
    const dim = env.observationSpace.flatDim;
    const obs = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => obs.set(r, i * dim));
    return { obs, labels: Int32Array.from(labels) };
  } finally {
    env.close();
  }
}

function accuracy(probs: Float64Array, labels: Int32Array, n: number): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < n; c++) if (probs[i * n + c] > probs[i * n + best]) best = c;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}

const root = mkdtempSync(join(tmpdir(), 'lamkit-bench-language-'));
const rows: Row[] = [];
console.log(`bench:language: ${ENV}, seeds ${seeds.join(',')}, ${episodes} expert episodes per seed (seen phrasing), eval ${evalEpisodes} fresh episodes per split, <= ${maxSteps} steps; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}`);
try {
  for (const seed of seeds) {
    const data = join(root, `data-${seed}`);
    const env = await lib.makeAsync(ENV);
    await lib.recordEpisodes(new lib.CommandAvatarExpert(env), env, { out: data, episodes, seed: 1000 * seed, envId: ENV, actionNames: lib.COMMAND_ACTIONS });
    env.close();
    const seen = await labelled('seen', evalEpisodes, 500_000 + seed * 1000);
    const held = await labelled('heldOut', evalEpisodes, 700_000 + seed * 1000);
    for (const embeddings of kinds) {
      const load0 = loadavg()[0];
      const t0 = performance.now();
      const out = join(root, `ft-${seed}-${embeddings}`);
      const o = await runFinetune({ data, out, force: true, seed: String(seed), maxSteps: String(maxSteps), mode: 'full', progress: false, config: JSON.stringify({ policy: { ...policyExtra, embeddings }, evalEvery: 100, patience: 3 }) });
      const wallSeconds = (performance.now() - t0) / 1000;
      const clf = await loadInstructionClassifier(o.checkpointDir, 'bench:language');
      const n = clf.names.length;
      const report = o.report as lib.ActionReport;
      const row: Row = {
        seed,
        embeddings,
        seenTestSplit: report.kind === 'categorical' ? report.components[0].accuracy : NaN,
        seenFresh: accuracy(clf.classify(seen.obs, seen.labels.length), seen.labels, n),
        heldOut: accuracy(clf.classify(held.obs, held.labels.length), held.labels, n),
        steps: o.steps,
        bestStep: o.bestStep,
        wallSeconds,
        load: [load0, loadavg()[0]],
      };
      clf.dispose();
      rows.push(row);
      console.log(`language seed ${seed} ${embeddings}: seen test split ${(100 * row.seenTestSplit).toFixed(1)}% (target >= 99%), seen fresh ${(100 * row.seenFresh).toFixed(1)}%, held-out phrasing ${(100 * row.heldOut).toFixed(1)}% (target >= 85% pretrained); ${row.steps} steps (best ${row.bestStep}), ${wallSeconds.toFixed(0)} s, load ${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
console.log('\n| embeddings | seen test split | seen fresh episodes | held-out phrasing | seeds |\n|---|---|---|---|---|');
for (const e of kinds) {
  const r = rows.filter((x) => x.embeddings === e);
  const f = (k: 'seenTestSplit' | 'seenFresh' | 'heldOut'): string => `${(100 * mean(r.map((x) => x[k]))).toFixed(1)}% ± ${(100 * std(r.map((x) => x[k]))).toFixed(1)}`;
  console.log(`| ${e} | ${f('seenTestSplit')} | ${f('seenFresh')} | ${f('heldOut')} | ${r.map((x) => x.seed).join(', ')} |`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/language-CommandAvatar-v0-${kinds.join('-')}.json`, JSON.stringify({ date: new Date().toISOString(), episodes, evalEpisodes, maxSteps, policy: policyExtra, cpus: cpus().length, rows }, null, 2) + '\n');
