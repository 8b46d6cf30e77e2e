/**
 * bench:lang-reach-keypoints — where a LangReach (v0 or v1) policy's
 * instruction-conditioned image keypoints land on the first frame of
 * `lamkit eval`'s episodes (issue #15 diagnostics): each keypoint is
 * projected through the `overview` camera onto the objects' top plane and
 * matched to the nearest object on the table: the target, its colour twin
 * (same colour, other shape) or another object; with the distance to the
 * target in metres. Episodes with a colour twin show whether the keypoint
 * tells shapes apart, also per shape word of the instruction (ball, sphere,
 * cube, box, block: a word the keypoint cannot read lands on the twin about
 * half the time). The first frame is where the keypoint goal head
 * (`startGoalLoss`) trains them.
 *
 * With `--rollout` the policy then acts each episode to its end
 * (deterministic, as `lamkit eval`), and each failure is put down to what
 * the end effector ended nearest: the target (a holding error: the right
 * object, missed by more than the 5 cm threshold), its colour twin, or
 * another object; beside whether the target-tracking keypoint (the one
 * most often at the target) was within 3 cm of it on the first frame.
 *
 * Each episode also says whether the target is hidden on the first frame
 * (under the arm at its start pose: fewer than 10 of the 7 x 7 pixels
 * around its projected centre have its colour), where no image keypoint
 * can find it; the scripted expert's path keeps it hidden to the end.
 *
 * With `--goal` (a network with a keypoint goal head) the head's predicted
 * last state on the first frame is put through the arm's kinematics (its
 * joint angles set on the arm, after the episode), and its distance to
 * the touch point is reported: where a policy that servos to that goal
 * (`keypointGoalInput`) would end.
 *
 * With `--memory-refresh` (a network with episode memory) the rollouts act
 * with the memory refreshed (KeypointSpec.memoryRefresh: a remembered
 * keypoint gives way to a later frame's that scores higher), whatever the
 * checkpoint says: the same network and scenes with and without it.
 *
 * npm run bench:lang-reach-keypoints -- --checkpoint <lamkit finetune --out dir> [--episodes 50] [--seed 901000] [--rollout] [--goal] [--memory-refresh]
 *   (--seed: the first episode's; bench:lang-reach evaluates seed s on 900000 + 1000 s)
 */
import { parseArgs } from 'node:util';
import { loadPolicy, NetworkPolicy, TextTransformerActorCritic, makeImageEnv, LangReach, langReachObjectPixels, LANG_REACH_SEEN_PIXELS, LANG_REACH_IDS, imageParts } from '../src/index.js';
import { parseIntFlag } from '../src/cli/flags.js';
import { stateColumns } from '../agents/policies/text/text-transformer-spec.js';
import { keypointOnTable, nearestOutcome, trackingKeypoint, type Outcome } from './lang-reach-table.js';
import { ARM_DOF } from '../envs/mujoco/arm-env.js';
import { EPS } from '../agents/algos/ppo/vec-normalizer.js';
import type { Dict } from '../src/core/spaces/dict.js';

const { values } = parseArgs({ options: { checkpoint: { type: 'string' }, episodes: { type: 'string', default: '50' }, seed: { type: 'string', default: '901000' }, rollout: { type: 'boolean', default: false }, goal: { type: 'boolean', default: false }, 'memory-refresh': { type: 'boolean', default: false } } });
if (!values.checkpoint) {
  console.error('bench:lang-reach-keypoints --checkpoint: expected a lamkit finetune --out directory of a LangReach (v0 or v1) policy with image keypoints, got nothing. Pass --checkpoint <dir>');
  process.exit(2);
}
const episodes = parseIntFlag('bench:lang-reach-keypoints --episodes', values.episodes, 1, '50') as number;
const seed0 = parseIntFlag('bench:lang-reach-keypoints --seed', values.seed, 0, '901000') as number;
const policy = await loadPolicy(values.checkpoint);
const networkPolicy = policy instanceof NetworkPolicy ? policy : null;
const net = networkPolicy?.net;
const kp = net instanceof TextTransformerActorCritic ? net.spec.image?.keypoints : undefined;
const camera = imageParts(policy.observationSpace)[0];
if (!networkPolicy || !(net instanceof TextTransformerActorCritic) || !kp || !camera || !(Object.values(LANG_REACH_IDS) as string[]).includes(policy.envId)) {
  console.error(`bench:lang-reach-keypoints --checkpoint: expected a LangReach (v0 or v1) text-transformer with image keypoints, got a ${policy.kind} policy of ${policy.envId}. Train one with lamkit finetune --config '{"policy": {"imageKeypoints": 2}}' on a LangReach-v0 recording with images`);
  process.exit(2);
}
if (values['memory-refresh']) {
  if (!kp.memory) {
    console.error('bench:lang-reach-keypoints --memory-refresh: expected a network with episode memory (keypointMemory), got none. Drop --memory-refresh');
    process.exit(2);
  }
  net.memoryRefresh = true;
}
console.log(`bench:lang-reach-keypoints: episode memory ${kp.memory ? (net.memoryRefresh ? 'refreshed by score' : "the first frame's") : 'off'}`);
const im = net.spec.image as NonNullable<TextTransformerActorCritic['spec']['image']>;
const env = await makeImageEnv(policy.envId, { height: camera.shape[0], width: camera.shape[1] });
const space = policy.observationSpace as Dict<Record<string, unknown>>;
const hits: Array<Array<{ twin: boolean; outcome: Outcome; error: number }>> = Array.from({ length: kp.count }, () => []);
/** Per episode with --rollout: success, what the end effector ended nearest, its final distance to the touch point (m). */
const ends: Array<{ success: boolean; nearest: Outcome; distance: number; twin: boolean }> = [];
/** Per episode: the target hidden on the first frame (see {@link langReachObjectPixels}). */
const hiddenAtStart: boolean[] = [];
/** Per episode: the instruction's last word, the shape word (`<verb> the <colour> <shape word>`). */
const shapeWords: string[] = [];
/** Per episode with --goal: the distance (m) from the touch point to where the goal head's joint angles put the end effector. */
const goalErrors: number[] = [];
if (values.goal && !kp.goal) {
  console.error('bench:lang-reach-keypoints --goal: expected a network with a keypoint goal head (startGoalLoss), got none. Drop --goal');
  process.exit(2);
}
const stateCols = stateColumns(net.spec);
const actor = networkPolicy;
const inner = env.unwrapped as unknown as LangReach;
/** Distance (m) from the end effector, where it is now, to the touch point. */
function touchDistance(): number {
  const ee = inner.endEffector();
  const touch = inner.targetPoint();
  return Math.hypot(touch[0] - ee[0], touch[1] - ee[1], touch[2] - ee[2]);
}
/** The episode to its end, deterministic actions (lamkit eval's), fresh episode memory; records how it ended. */
async function rollout(obs: unknown, objects: ReturnType<LangReach['objects']>, target: ReturnType<LangReach['objects']>[number], twin: boolean): Promise<void> {
  const flat = new Float32Array(space.flatDim);
  actor.resetEpisode(0);
  let o = obs;
  let info: Record<string, unknown> = {};
  for (let done = false; !done; ) {
    space.flattenInto(o as Record<string, unknown>, flat, 0);
    const step = await env.step(actor.act(flat, { deterministic: true }) as Float32Array);
    o = step.obs;
    info = step.info as Record<string, unknown>;
    done = step.terminated || step.truncated;
  }
  const ee = inner.endEffector();
  ends.push({ success: info.isSuccess === true, nearest: nearestOutcome(objects, target, ee[0], ee[1]), distance: touchDistance(), twin });
}
try {
  for (let e = 0; e < episodes; e++) {
    const { obs } = await env.reset({ seed: seed0 + e });
    const flat = new Float32Array(space.flatDim);
    space.flattenInto(obs as Record<string, unknown>, flat, 0);
    const input = { rows: 1, flat: Float32Array.from(networkPolicy.networkInput(flat, 1)) };
    const coords = net.keypointCoords(input);
    const goal = values.goal ? net.keypointGoalState(input) : null;
    const objects = inner.objects();
    const target = objects[0];
    const twin = objects.some((o) => o.colour === target.colour && !o.target);
    shapeWords.push(inner.currentCommand.instruction.split(' ').pop() as string);
    hiddenAtStart.push(langReachObjectPixels((obs as Record<string, Uint8Array>)[camera.key], im.width, im.height, target) < LANG_REACH_SEEN_PIXELS);
    for (let k = 0; k < kp.count; k++) {
      const [x, y] = keypointOnTable(coords, k, im, target);
      hits[k].push({ twin, outcome: nearestOutcome(objects, target, x, y), error: Math.hypot(target.position[0] - x, target.position[1] - y) });
    }
    if (values.rollout) await rollout(obs, objects, target, twin);
    if (goal) {
      // The predicted joint angles (the state's first columns) in radians, set on the arm: where they put the end effector.
      const stats = networkPolicy.observationStatistics;
      const qpos = new Float64Array(inner.world.nq);
      for (let j = 0; j < ARM_DOF; j++) qpos[j] = stats ? goal[j] * Math.sqrt(stats.var[stateCols[j]] + EPS) + stats.mean[stateCols[j]] : goal[j];
      inner.world.setState(qpos, new Float64Array(inner.world.nv));
      goalErrors.push(touchDistance());
    }
  }

} finally {
  await env.close();
  policy.dispose?.();
}
const pct = (xs: number[], q: number): string => (100 * [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]).toFixed(1);
console.log(`bench:lang-reach-keypoints: ${values.checkpoint}, ${episodes} episodes from seed ${seed0}, first frame, ${kp.count} keypoints (window ${kp.window}, stride ${kp.stride}${kp.hidden ? `, ${kp.hidden} hidden` : ''})`);
console.log('\n| keypoint | at the target | colour twin on the table: at the target / at the twin / elsewhere | no twin: at the target | distance to the target p25 / median / p75 (cm) | within 3 cm |\n|---|---:|---:|---:|---:|---:|');
hits.forEach((h, k) => {
  const n = (f: (x: (typeof h)[number]) => boolean): number => h.filter(f).length;
  const twins = h.filter((x) => x.twin);
  const errors = h.map((x) => x.error);
  console.log(`| ${k} | ${n((x) => x.outcome === 'target')} / ${h.length} | ${twins.filter((x) => x.outcome === 'target').length} / ${twins.filter((x) => x.outcome === 'twin').length} / ${twins.filter((x) => x.outcome === 'other').length} of ${twins.length} | ${n((x) => !x.twin && x.outcome === 'target')} of ${n((x) => !x.twin)} | ${pct(errors, 0.25)} / ${pct(errors, 0.5)} / ${pct(errors, 0.75)} | ${n((x) => x.error < 0.03)} / ${h.length} |`);
});
// The keypoint that tracks the target: the one most often nearest it.
const tracker = trackingKeypoint(hits.map((h) => h.map((x) => x.outcome)));
// Twin scenes by the shape word that names the target: does the keypoint read each word, or only the colour?
const byWord = new Map<string, [number, number, number]>();
hits[tracker].forEach((x, e) => {
  if (!x.twin) return;
  const t = byWord.get(shapeWords[e]) ?? [0, 0, 0];
  t[x.outcome === 'target' ? 0 : x.outcome === 'twin' ? 1 : 2]++;
  byWord.set(shapeWords[e], t);
});
console.log(`\nColour-twin scenes by the instruction's shape word (keypoint ${tracker}, first frame):\n\n| shape word | at the target | at the twin | elsewhere |\n|---|---:|---:|---:|`);
for (const [w, t] of [...byWord].sort(([a], [b]) => a.localeCompare(b))) console.log(`| ${w} | ${t[0]} | ${t[1]} | ${t[2]} |`);
console.log(`\nTarget hidden on the first frame (under the arm): ${hiddenAtStart.filter(Boolean).length} / ${episodes} episodes`);
if (values.rollout) {
  const near = (e: number): boolean => hits[tracker][e].error < 0.03;
  const rows: Array<[string, (e: number) => boolean]> = [
    ['success', (e) => ends[e].success],
    ['failed, ended nearest the target (holding error)', (e) => !ends[e].success && ends[e].nearest === 'target'],
    ['failed, ended nearest the colour twin', (e) => !ends[e].success && ends[e].nearest === 'twin'],
    ['failed, ended nearest another object', (e) => !ends[e].success && ends[e].nearest === 'other'],
  ];
  console.log(`\nRollouts (deterministic): success ${ends.filter((x) => x.success).length} / ${ends.length}; keypoint ${tracker} tracks the target\n\n| episodes | count | keypoint ${tracker} within 3 cm of the target | colour twin on the table | target hidden on the first frame | final distance to the touch point (cm) |\n|---|---:|---:|---:|---:|---|`);
  for (const [label, f] of rows) {
    const idx = ends.map((_, e) => e).filter(f);
    const ds = idx.map((e) => ends[e].distance);
    console.log(`| ${label} | ${idx.length} | ${idx.filter(near).length} | ${idx.filter((e) => ends[e].twin).length} | ${idx.filter((e) => hiddenAtStart[e]).length} | ${idx.length > 0 && idx.length <= 12 ? ds.map((d) => (100 * d).toFixed(1)).join(', ') : idx.length > 0 ? `median ${pct(ds, 0.5)}` : '-'} |`);
  }
}
if (values.goal) {
  const within = (m: number): number => goalErrors.filter((x) => x < m).length;
  const seen = goalErrors.filter((_, e) => !hiddenAtStart[e]);
  console.log(`\nKeypoint goal head through the arm's kinematics (first frame): within 5 cm of the touch point ${within(0.05)} / ${goalErrors.length} (target visible: ${seen.filter((x) => x < 0.05).length} / ${seen.length}), within 3 cm ${within(0.03)}; distance p25 / median / p75 ${pct(goalErrors, 0.25)} / ${pct(goalErrors, 0.5)} / ${pct(goalErrors, 0.75)} cm`);
}
