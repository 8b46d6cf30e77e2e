/**
 * bench:lang-reach-probe — a fast screen for LangReach keypoint options
 * (issue #15): trains only what `startGoalLoss` trains in `lamkit finetune`
 * (the instruction-conditioned image keypoints, their goal head and the
 * word embeddings) by that loss alone, on the training split's episodes'
 * first `startGoalSteps` steps, then reports where the keypoint that tracks
 * the target lands on the first frame of `lamkit eval`'s test scenes: at
 * the named object, at its colour twin (same colour, other shape) or at
 * another object, for twin scenes by the target's shape. A full fine-tuning
 * run takes ~2 h 15 min on this machine; this takes ~20 min (2,000 steps),
 * so options aimed at telling the twins apart can be screened before a
 * full run.
 *
 * What differs from `lamkit finetune`: no action loss, no trunk, no
 * rollouts; plain Adam on the same warm-up + cosine schedule (no weight
 * decay, no gradient clipping). Its figures compare options with each
 * other under the probe, not with a fine-tuned policy's.
 *
 * npm run bench:lang-reach-probe -- --data <lamkit record dataset> [--seed 1] [--test-seed 901000] [--episodes 600] [--steps 2000] [--config '<lamkit finetune config>']
 *   (the config as `lamkit finetune --config`: its policy and startGoalLoss / startGoalSteps / batchSize / learningRate)
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import * as lib from '../src/index.js';
import type { LangReach, TextTransformerActorCritic } from '../src/index.js';
import { parseIntFlag, parseConfigFlag } from '../src/cli/flags.js';
import { openFinetuneData, readFinetuneSplits, freshTextPolicy } from '../src/cli/commands/finetune.js';
import { episodeStartRows, episodeEnds, labelledBatch, observationsAt, keypointLabelsAt } from '../agents/algos/bc/demonstrations.js';
import { warmupCosine } from '../agents/algos/bc/behavior-cloning.js';
import type { Dict } from '../src/core/spaces/dict.js';
import { ProgressReporter } from '../src/run/progress-reporter.js';
import { keypointOnTable, nearestOutcome, trackingKeypoint, type Outcome } from './lang-reach-table.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string', default: '1' }, 'test-seed': { type: 'string', default: '901000' }, episodes: { type: 'string', default: '600' }, steps: { type: 'string', default: '2000' }, config: { type: 'string' } } });
if (!values.data) {
  console.error('bench:lang-reach-probe --data: expected a LangReach dataset recorded with images (lamkit record --env LangReach-v0 --image-size 128 ...), got nothing. Pass --data <dir>');
  process.exit(2);
}
const seed = parseIntFlag('bench:lang-reach-probe --seed', values.seed, 0, '1') as number;
const testSeed = parseIntFlag('bench:lang-reach-probe --test-seed', values['test-seed'], 0, '901000') as number;
const episodes = parseIntFlag('bench:lang-reach-probe --episodes', values.episodes, 1, '600') as number;
const steps = parseIntFlag('bench:lang-reach-probe --steps', values.steps, 1, '2000') as number;
const { policy: policyConfig, ...bcFields } = parseConfigFlag(values.config, 'bench:lang-reach-probe --config');
const bc = lib.resolveBcConfig({ startGoalLoss: 1, ...bcFields, seed, maxSteps: steps }, 'bench:lang-reach-probe --config');
await lib.initBackend();
const { ds, spaces, splits } = await openFinetuneData(lib, values.data, seed);
const camera = lib.imageParts(spaces.observation)[0];
const envId = ds.info.lamkit?.envId ?? '';
if (!camera || !(Object.values(lib.LANG_REACH_IDS) as string[]).includes(envId)) {
  console.error(`bench:lang-reach-probe --data: expected a LangReach (v0 or v1) dataset with camera images, got ${envId || 'a dataset of no lamkit task'}${camera ? '' : ' without images'}. Record one with lamkit record --env LangReach-v0 --policy expert --image-size 128`);
  process.exit(2);
}
const { train, val } = await readFinetuneSplits(lib, ds, spaces, { ...splits, test: [] }, `bench:lang-reach-probe --data ${values.data}`);
const codec = new lib.ActionCodec(spaces.action);
const io = { obsDim: spaces.observation.flatDim, head: codec.head, ...(codec.bounds ? { actionBounds: codec.bounds } : {}) };
const rng = new lib.Rng(seed);
const policy = freshTextPolicy(lib, ds, spaces.observation, train, { ...(policyConfig as Record<string, unknown> | undefined), kind: lib.TEXT_TRANSFORMER_KIND, keypointGoal: true }, bc);
const config = lib.resolvePolicyConfig(policy, 'bench:lang-reach-probe --config policy');
const net = lib.policyKind(config.kind).create(config, io, rng.spawn()) as TextTransformerActorCritic;
const kp = net.spec.image?.keypoints;
const im = net.spec.image;
if (!kp || !im) {
  console.error('bench:lang-reach-probe --config: expected a policy with image keypoints, got none. Pass e.g. {"policy": {"imageKeypoints": 2}}');
  process.exit(2);
}

// Training: the keypoint goal loss on training episodes' first steps (as BehaviorCloning's startGoalLoss draws them).
const firsts = episodeStartRows(train, bc.startGoalSteps);
const ends = episodeEnds(train);
// What the keypoint goal loss reaches: the keypoints' weights, their goal head, the learned word embeddings.
const vars = net.variables().map((v) => v.variable).filter((v) => /\/(tok\.kp\.|head\.kp_goal\.|text\.embedding$)/.test(v.name));
const adam = tf.train.adam(bc.learningRate);
const t0 = performance.now();
const metrics = new lib.MetricStream();
const bar = new ProgressReporter(metrics, steps, 0, 'bench:lang-reach-probe');
let lastLoss = NaN;
let lastYield = performance.now();
for (let step = 0; step < steps; step++) {
  (adam as unknown as { learningRate: number }).learningRate = warmupCosine(step, bc);
  const starts = Int32Array.from({ length: bc.batchSize }, () => firsts[rng.integer(0, firsts.length)]);
  const { batch } = labelledBatch(train, starts, null, 1);
  const goals = observationsAt(train, ends, starts, 1);
  const points = bc.keypointLabelLoss > 0 ? keypointLabelsAt(train, starts) : null;
  const labels = points ? { points, weight: bc.keypointLabelLoss } : null;
  const cost = adam.minimize(() => tf.mean(net.keypointGoalError(batch.obs, goals, labels)) as tf.Scalar, true, vars) as tf.Scalar;
  lastLoss = cost.dataSync()[0];
  cost.dispose();
  metrics.emit({ global_step: step + 1, wall_s: (performance.now() - t0) / 1000, 'losses/start_goal_mse': lastLoss });
  // Let the progress bar's timer run (it redraws from the event loop).
  if (performance.now() - lastYield > 1000) {
    await new Promise((r) => setImmediate(r));
    lastYield = performance.now();
  }
}
metrics.complete();
bar.stop();
const trainSeconds = (performance.now() - t0) / 1000;
adam.dispose();

// The first frame of each test scene (lamkit eval's seeds): where each keypoint lands.
const env = await lib.makeImageEnv(envId, { height: camera.shape[0], width: camera.shape[1] });
const inner = env.unwrapped as unknown as LangReach;
const space = spaces.observation as Dict<Record<string, unknown>>;
const flat = new Float32Array(space.flatDim);
const hits: Outcome[][] = Array.from({ length: kp.count }, () => []);
const scenes: Array<{ twin: boolean; shape: string }> = [];
try {
  for (let e = 0; e < episodes; e++) {
    const { obs } = await env.reset({ seed: testSeed + e });
    space.flattenInto(obs as Record<string, unknown>, flat, 0);
    // The keypoints read only the image and the instruction, whose columns the statistics leave as they are.
    const coords = net.keypointCoords({ rows: 1, flat });
    const objects = inner.objects();
    const target = objects[0];
    scenes.push({ twin: objects.some((o) => o.colour === target.colour && !o.target), shape: target.shape });
    for (let k = 0; k < kp.count; k++) hits[k].push(nearestOutcome(objects, target, ...keypointOnTable(coords, k, im, target)));
  }
} finally {
  await env.close();
  net.dispose();
}
const tracker = trackingKeypoint(hits);
const h = hits[tracker];
const count = (f: (e: number) => boolean): number => h.filter((_, e) => f(e)).length;
const row = (label: string, f: (e: number) => boolean): string => `| ${label} | ${count((e) => f(e) && h[e] === 'target')} | ${count((e) => f(e) && h[e] === 'twin')} | ${count((e) => f(e) && h[e] === 'other')} | ${count(f)} |`;
console.log(`\nbench:lang-reach-probe: ${values.data}, seed ${seed}, ${steps} steps of the keypoint goal loss (last ${lastLoss.toFixed(4)}; ${trainSeconds.toFixed(0)} s), ${episodes} test scenes from seed ${testSeed}; keypoint ${tracker} tracks the target\n`);
console.log('| first frame | at the named object | at its colour twin | at another object | scenes |\n|---|---:|---:|---:|---:|');
console.log(row('every scene', () => true));
console.log(row('no twin on the table', (e) => !scenes[e].twin));
console.log(row('twin on the table', (e) => scenes[e].twin));
for (const shape of [...new Set(scenes.map((s) => s.shape))].sort()) console.log(row(`twin on the table, the named object a ${shape}`, (e) => scenes[e].twin && scenes[e].shape === shape));
