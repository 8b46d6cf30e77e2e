import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/backend.js';
import { Rng } from '../../src/core/rng.js';
import { RewardMlp } from '../../agents/rewards/reward-mlp.js';
import { LearnedReward, type LearnedRewardSpec } from '../../agents/rewards/learned-reward.js';
import { Discriminator, resolveDiscriminatorConfig } from '../../agents/rewards/discriminator.js';
import { checkTransitions, FeatureEncoder, type Transitions } from '../../agents/rewards/transitions.js';
import { RolloutBuffer } from '../../agents/buffers/rollout-buffer.js';
import type { HeadSpec } from '../../agents/policies/param-layout.js';
import { rolloutTransitions } from '../../agents/algos/gail/adversarial-imitation.js';

before(async () => {
  await initBackend({ backend: 'cpu' } as never).catch(() => initBackend());
});

const HEAD2 = { kind: 'categorical' as const, nvec: [2] };

/** Toy transitions: obs uniform in [-1, 1]^2; the expert pushes towards x > 0 (action 1 iff obs[0] < 0), the random actor picks either. */
function toy(rows: number, expert: boolean, rng: Rng): Transitions {
  const obs = new Float32Array(rows * 2);
  const actions = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    obs[2 * r] = rng.uniform(-1, 1);
    obs[2 * r + 1] = rng.uniform(-1, 1);
    actions[r] = expert ? (obs[2 * r] < 0 ? 1 : 0) : rng.integer(0, 2);
  }
  return { obsDim: 2, actDim: 1, rows, obs, actions, nextObs: obs.slice(), terminated: new Uint8Array(rows), absorbing: new Uint8Array(rows) };
}

function gailSpec(inputs: 'sa' | 'sas' = 'sa'): LearnedRewardSpec {
  return { kind: 'gail', obsDim: 2, head: HEAD2, hidden: [32, 32], inputs, obsMean: [0, 0], obsVar: [1 / 3, 1 / 3], actionLow: null, actionHigh: null };
}

test('the discriminator separates expert from random transitions on a toy task (held-out accuracy > 0.7 of the best 0.75, non-expert actions called policy > 85%), tensors stay flat', () => {
  const rng = new Rng(3);
  const reward = new LearnedReward(gailSpec(), rng.spawn());
  const disc = new Discriminator(reward, resolveDiscriminatorConfig({ learningRate: 3e-3 }));
  const accuracy = (e: Transitions, p: Transitions): number => {
    const se = reward.score(e);
    const sp = reward.score(p);
    const a = (Array.from(se.dataSync()).filter((v) => v > 0).length + Array.from(sp.dataSync()).filter((v) => v < 0).length) / (e.rows + p.rows);
    tf.dispose([se, sp]);
    return a;
  };
  const testE = toy(400, true, rng);
  const testP = toy(400, false, rng);
  const before = accuracy(testE, testP);
  // The first step creates Adam's moments (two per variable); after it the count must stay put.
  disc.step(toy(64, true, rng), toy(64, false, rng), null, null);
  const tensors = tf.memory().numTensors;
  for (let s = 1; s < 300; s++) disc.step(toy(64, true, rng), toy(64, false, rng), null, null);
  assert.equal(tf.memory().numTensors, tensors, 'discriminator steps leak no tensors');
  const after = accuracy(testE, testP);
  // Random actions agree with the expert half the time, so 0.75 is the best accuracy on this balanced test set.
  assert.ok(before < 0.65, `untrained accuracy ${before}`);
  assert.ok(after > 0.7, `trained accuracy ${after}`);
  // On the rows where a random action disagrees with the expert, the discriminator must call them policy.
  const dis = toy(400, false, rng);
  const keep: number[] = [];
  for (let r = 0; r < dis.rows; r++) if (dis.actions[r] !== (dis.obs[2 * r] < 0 ? 1 : 0)) keep.push(r);
  const sel: Transitions = { ...dis, rows: keep.length, obs: Float32Array.from(keep.flatMap((r) => [dis.obs[2 * r], dis.obs[2 * r + 1]])), nextObs: new Float32Array(keep.length * 2), actions: Float32Array.from(keep, (r) => dis.actions[r]), terminated: new Uint8Array(keep.length), absorbing: new Uint8Array(keep.length) };
  const sd = reward.score(sel);
  const wrongCalledPolicy = Array.from(sd.dataSync()).filter((v) => v < 0).length / sel.rows;
  sd.dispose();
  assert.ok(wrongCalledPolicy > 0.85, `non-expert actions called policy: ${wrongCalledPolicy}`);
  disc.dispose();
  reward.dispose();
});

test('RewardMlp input gradient (the hand-written backward pass the gradient penalty uses) matches finite differences of apply()', () => {
  const net = new RewardMlp('t', 3, [8, 5], new Rng(1));
  const x = [0.3, -0.7, 1.1];
  const { out, gradX } = net.applyWithInputGrad(tf.tensor2d([x]));
  const g = gradX.dataSync();
  const f = (v: number[]): number => {
    const t = tf.tensor2d([v]);
    const o = net.apply(t);
    const y = o.dataSync()[0];
    tf.dispose([t, o]);
    return y;
  };
  assert.ok(Math.abs(out.dataSync()[0] - f(x)) < 1e-6);
  for (let j = 0; j < 3; j++) {
    const h = 1e-2;
    const xp = [...x];
    const xm = [...x];
    xp[j] += h;
    xm[j] -= h;
    const fd = (f(xp) - f(xm)) / (2 * h);
    assert.ok(Math.abs(fd - g[j]) < 1e-3 * Math.max(1, Math.abs(fd)), `d/dx${j}: ${g[j]} vs finite difference ${fd}`);
  }
  tf.dispose([out, gradX]);
  net.dispose();
});

test("AIRL's f has the documented form f = g(s) + gamma h(s') - h(s): along a terminated trajectory the shaping telescopes to -h(s_0)", () => {
  const gamma = 0.9;
  const spec: LearnedRewardSpec = { kind: 'airl', obsDim: 2, head: HEAD2, hidden: [16], stateOnly: true, gamma, obsMean: [0, 0], obsVar: [1, 1], actionLow: null, actionHigh: null };
  const reward = new LearnedReward(spec, new Rng(5));
  // A trajectory s_0..s_4, terminated at the last step (s_5 is the absorbing state).
  const rng = new Rng(9);
  const T = 5;
  const states = Array.from({ length: T }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  const t: Transitions = {
    obsDim: 2, actDim: 1, rows: T,
    obs: Float32Array.from(states.flat()),
    nextObs: Float32Array.from([...states.slice(1).flat(), 0, 0]),
    actions: Float32Array.from({ length: T }, (_, i) => i % 2),
    terminated: Uint8Array.from({ length: T }, (_, i) => (i === T - 1 ? 1 : 0)),
    absorbing: new Uint8Array(T),
  };
  const f = reward.score(t);
  const fv = f.dataSync();
  const g = reward.reward(t);
  const h = reward.potential(t.obs, t.absorbing, T);
  for (let i = 0; i < T; i++) {
    const hNext = i + 1 < T ? h[i + 1] : 0;
    assert.ok(Math.abs(fv[i] - (g[i] + gamma * hNext - h[i])) < 1e-5, `row ${i}`);
  }
  let df = 0;
  let dg = 0;
  for (let i = 0; i < T; i++) {
    df += gamma ** i * fv[i];
    dg += gamma ** i * g[i];
  }
  assert.ok(Math.abs(df - (dg - h[0])) < 1e-5, `discounted sum of f ${df} = sum of g ${dg} - h(s0) ${h[0]}`);
  // A state-only g ignores the action.
  const flipped = reward.reward({ ...t, actions: t.actions.map((a) => 1 - a) });
  assert.deepEqual(Array.from(flipped), Array.from(g));
  f.dispose();
  reward.dispose();
});

test('rolloutTransitions: s\' is the next row (the true final observation after an episode end, lastRawObs after the last step), invalid rows skipped, one absorbing row per termination', () => {
  const b = new RolloutBuffer(3, 1, 1, 1);
  b.rawObs.set([10, 11, 0]);
  b.lastRawObs.set([20]);
  b.valid.set([1, 1, 0]);
  b.terminated.set([0, 1, 0]);
  const t = rolloutTransitions(b, true);
  assert.equal(t.rows, 3);
  assert.deepEqual(Array.from(t.obs), [10, 11, 0]);
  assert.deepEqual(Array.from(t.nextObs.subarray(0, 2)), [11, 0]);
  assert.deepEqual(Array.from(t.terminated), [0, 1, 0]);
  assert.deepEqual(Array.from(t.absorbing), [0, 0, 1]);
  const b2 = new RolloutBuffer(2, 1, 1, 1);
  b2.rawObs.set([1, 2]);
  b2.lastRawObs.set([3]);
  b2.valid.set([1, 1]);
  assert.deepEqual(Array.from(rolloutTransitions(b2, true).nextObs), [2, 3]);
});

test('mismatched demonstrations give errors naming the mismatch', () => {
  const t = toy(4, true, new Rng(1));
  assert.throws(() => checkTransitions(t, 3, 1, 'GAIL.demonstrations'), { name: 'InvalidArgument', message: /^GAIL\.demonstrations\.obsDim: expected the task's observation size 3, got 2/ });
  assert.throws(() => checkTransitions({ ...t, rows: 0, obs: new Float32Array(0) }, 2, 1, 'GAIL.demonstrations'), { message: /GAIL\.demonstrations\.rows: expected at least one transition, got 0/ });
  // Discrete labels on a continuous head, and a continuous label on a discrete head.
  assert.throws(() => checkTransitions(t, 2, 3, 'AIRL.demonstrations'), { message: /AIRL\.demonstrations\.actDim: expected the task's action size 3, got 1/ });
  const enc = new FeatureEncoder(2, HEAD2, { mean: [0, 0], var: [1, 1] }, null);
  assert.throws(() => enc.actions(Float32Array.of(0.4), new Uint8Array(1), 1), { message: /FeatureEncoder\.actions\[0\]\[0\]: expected a category index in \[0, 2\), got 0\.4/ });
});

test('learnedRewardHook writes the frozen reward (AIRL: g) of each valid transition measured from the absorbing state\'s, 0 on invalid rows', async () => {
  const { learnedRewardHook } = await import('../../agents/rewards/learned-reward-hook.js');
  const spec: LearnedRewardSpec = { kind: 'airl', obsDim: 1, head: HEAD2, hidden: [8], stateOnly: true, gamma: 0.5, obsMean: [0], obsVar: [1], actionLow: null, actionHigh: null };
  const reward = new LearnedReward(spec, new Rng(2));
  const b = new RolloutBuffer(3, 1, 1, 1);
  b.rawObs.set([0.1, 0.2, 0]);
  b.lastRawObs.set([0.3]);
  b.valid.set([1, 1, 0]);
  b.terminated.set([0, 1, 0]);
  b.rewards.fill(7);
  const g = reward.reward({ obsDim: 1, actDim: 1, rows: 2, obs: Float32Array.of(0.1, 0.2), actions: new Float32Array(2), nextObs: new Float32Array(2), terminated: new Uint8Array(2), absorbing: new Uint8Array(2) });
  const gAbs = reward.reward({ obsDim: 1, actDim: 1, rows: 1, obs: new Float32Array(1), actions: new Float32Array(1), nextObs: new Float32Array(1), terminated: new Uint8Array(1), absorbing: Uint8Array.of(1) })[0];
  assert.ok(Math.abs(gAbs - g[0]) > 1e-4, 'a fresh g tells the absorbing state apart');
  await learnedRewardHook(reward, { normalize: false })(b);
  assert.ok(Math.abs(b.rewards[0] - (g[0] - gAbs)) < 1e-6);
  assert.ok(Math.abs(b.rewards[1] - (g[1] - gAbs)) < 1e-6, 'the terminal step too: after it the absorbing state is worth 0');
  assert.equal(b.rewards[2], 0);
  b.rewards.fill(7);
  await learnedRewardHook(reward, { normalize: false, absorbing: false })(b);
  assert.ok(Math.abs(b.rewards[0] - g[0]) < 1e-6 && Math.abs(b.rewards[1] - g[1]) < 1e-6, 'absorbing off: the raw reward');
  reward.dispose();
});

test("writeLearnedRewards: measuring rewards from the absorbing state's changes every discounted return by the same constant as the terminal tail gamma/(1-gamma) r_abs (same policy ranking), without the tail's spike", async () => {
  const { writeLearnedRewards } = await import('../../agents/rewards/learned-reward-hook.js');
  const gamma = 0.98;
  const rAbs = -2.3;
  const rng = new Rng(9);
  const differences: number[] = [];
  let maxShifted = 0;
  for (const T of [1, 5, 40, 200]) {
    const r = Array.from({ length: T }, () => rng.uniform(-3, 3));
    // Tail form: r_t, plus gamma/(1-gamma) r_abs at the terminal step.
    let tail = 0;
    for (let t = T - 1; t >= 0; t--) tail = r[t] + (t === T - 1 ? (gamma / (1 - gamma)) * rAbs : 0) + gamma * tail;
    const b = new RolloutBuffer(T, 1, 1, 1);
    b.valid.fill(1);
    b.terminated[T - 1] = 1;
    writeLearnedRewards(b, r, rAbs, 1);
    let shifted = 0;
    for (let t = T - 1; t >= 0; t--) shifted = b.rewards[t] + gamma * shifted;
    for (let t = 0; t < T; t++) maxShifted = Math.max(maxShifted, Math.abs(b.rewards[t]));
    differences.push(tail - shifted);
  }
  for (const d of differences) assert.ok(Math.abs(d - rAbs / (1 - gamma)) < 1e-6, `return difference ${d} = r_abs / (1 - gamma) = ${rAbs / (1 - gamma)} for every length`);
  assert.ok(maxShifted <= 3 + Math.abs(rAbs) + 1e-9, 'no step carries the ~50x tail');
});

test("AIRL/GAIL input statistics: 'mixture' sets the reward's observation statistics to the equal-weight mixture of the expert's and the first rollout's states, then freezes them; 'expert' keeps the demonstrations' own", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  // Expert: obs[0] ~ 1 with tiny spread (a near-constant feature), obs[1] ~ 0; the rollout: obs[0] ~ -1.
  const rows = 64;
  const expert: Transitions = { obsDim: 2, actDim: 1, rows, obs: new Float32Array(rows * 2), actions: new Float32Array(rows), nextObs: new Float32Array(rows * 2), terminated: new Uint8Array(rows), absorbing: new Uint8Array(rows) };
  for (let r = 0; r < rows; r++) {
    expert.obs[2 * r] = 1 + (r % 2 ? 0.01 : -0.01);
    expert.obs[2 * r + 1] = r % 2 ? 0.5 : -0.5;
  }
  expert.nextObs.set(expert.obs);
  const rollout = (): RolloutBuffer => {
    const b = new RolloutBuffer(16, 1, 2, 1);
    for (let k = 0; k < 16; k++) b.rawObs.set([-1 + (k % 2 ? 0.2 : -0.2), 0], 2 * k);
    b.lastRawObs.set([-1, 0]);
    b.valid.fill(1);
    return b;
  };
  const make = (inputStats: 'mixture' | 'expert') => new AdversarialImitation({ kind: 'gail', config: resolveDiscriminatorConfig({ inputStats, hidden: [8], updatesPerRollout: 1 }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
  // One at a time: tfjs variable names are global.
  const mix = make('mixture');
  try {
    assert.ok(Math.abs(mix.reward.spec.obsMean[0] - 1) < 1e-6 && Math.abs(mix.reward.spec.obsVar[0] - 1e-4) < 1e-6, 'before the first rollout: the expert statistics');
    mix.relabel(rollout(), 16, 0);
    // Mixture of N(1, 1e-4) and N(-1, 0.04): mean 0, var (1e-4 + 0.04) / 2 + 1.
    assert.ok(Math.abs(mix.reward.spec.obsMean[0]) < 1e-6, `mean ${mix.reward.spec.obsMean[0]}`);
    assert.ok(Math.abs(mix.reward.spec.obsVar[0] - (0.0401 / 2 + 1)) < 1e-5, `var ${mix.reward.spec.obsVar[0]}`);
    assert.ok(Math.abs(mix.reward.spec.obsVar[1] - 0.125) < 1e-6, `var of obs[1]: (0.25 + 0) / 2, got ${mix.reward.spec.obsVar[1]}`);
    const frozen = [...mix.reward.spec.obsMean, ...mix.reward.spec.obsVar];
    const b = rollout();
    b.rawObs.fill(5);
    mix.relabel(b, 32, 0);
    assert.deepEqual([...mix.reward.spec.obsMean, ...mix.reward.spec.obsVar], frozen, 'frozen after the first rollout');
    assert.deepEqual(mix.getState().reward.spec.obsVar, frozen.slice(2), 'checkpoints store the statistics in use');
  } finally {
    mix.dispose();
  }
  const exp = make('expert');
  try {
    exp.relabel(rollout(), 16, 0);
    assert.ok(Math.abs(exp.reward.spec.obsVar[0] - 1e-4) < 1e-6, "'expert' keeps the demonstrations' statistics");
  } finally {
    exp.dispose();
  }
});

test('the gradient penalty (GAIL and AIRL) is reported, positive, shrinks the expert input gradient, and leaks nothing', () => {
  for (const kind of ['gail', 'airl'] as const) {
    const rng = new Rng(4);
    const spec: LearnedRewardSpec = kind === 'gail' ? gailSpec() : { kind: 'airl', obsDim: 2, head: HEAD2, hidden: [32, 32], stateOnly: false, gamma: 0.9, obsMean: [0, 0], obsVar: [1 / 3, 1 / 3], actionLow: null, actionHigh: null };
    const gradNorm = (coef: number): number => {
      const reward = new LearnedReward(spec, new Rng(6));
      const disc = new Discriminator(reward, resolveDiscriminatorConfig({ learningRate: 3e-3, gradientPenalty: coef }));
      const data = new Rng(7);
      let st = disc.step(toy(64, true, data), toy(64, false, data), null, null);
      const tensors = tf.memory().numTensors;
      for (let s = 0; s < 150; s++) st = disc.step(toy(64, true, data), toy(64, false, data), null, null);
      assert.equal(tf.memory().numTensors, tensors, `${kind} steps with a penalty leak no tensors`);
      if (coef > 0) assert.ok(st.gradPenalty > 0 && Number.isFinite(st.gradPenalty), `${kind} penalty ${st.gradPenalty}`);
      const { out, gradSq } = reward.scoreWithGradNorm(toy(200, true, rng));
      const mean = Array.from(gradSq.dataSync()).reduce((a, b) => a + b, 0) / 200;
      tf.dispose([out, gradSq]);
      disc.dispose();
      reward.dispose();
      return mean;
    };
    const free = gradNorm(0);
    const penalized = gradNorm(10);
    assert.ok(penalized < free, `${kind}: mean ||grad||^2 on expert rows ${penalized} with the penalty < ${free} without`);
  }
});

test('absorbingWeight: when the expert never terminates, weighting each absorbing sample as its discounted occupancy (1/(1-gamma)) puts the absorbing state below the states the policy visits, so ending an episode costs reward, by a wider margin than at weight 1', () => {
  // As on InvertedPendulum-v5: the expert stays near its mean state (never terminates), the policy
  // wanders and its episodes end every 3 steps; the encoded absorbing row is the expert's mean state
  // (standardized zeros) plus the indicator.
  const margin = (weight: number): { below: number; gap: number } => {
    const rng = new Rng(11);
    const spec: LearnedRewardSpec = { ...gailSpec(), obsVar: [4e-4, 4e-4] };
    const reward = new LearnedReward(spec, rng.spawn());
    const disc = new Discriminator(reward, resolveDiscriminatorConfig({ labelSmoothing: 0.1 }));
    const batch = (expert: boolean): Transitions => {
      const t = toy(96, expert, rng);
      for (let k = 0; k < t.obs.length; k++) t.obs[k] = rng.normal() * (expert ? 0.02 : 0.2);
      if (!expert) for (let r = 2; r < t.rows; r += 3) t.absorbing[r] = 1;
      return t;
    };
    const tensors = tf.memory().numTensors;
    for (let s = 0; s < 150; s++) disc.step(batch(true), batch(false), null, null, weight);
    const probe = batch(false);
    const r = reward.reward(probe);
    const rAbs = reward.reward({ ...probe, rows: 1, obs: new Float32Array(2), actions: new Float32Array(1), nextObs: new Float32Array(2), terminated: new Uint8Array(1), absorbing: Uint8Array.of(1) })[0];
    let below = 0;
    let n = 0;
    let sum = 0;
    for (let k = 0; k < probe.rows; k++) {
      if (probe.absorbing[k]) continue;
      n++;
      sum += r[k] - rAbs;
      if (r[k] > rAbs) below++;
    }
    disc.dispose();
    reward.dispose();
    assert.ok(tf.memory().numTensors <= tensors, 'weighted steps leak no tensors');
    return { below: below / n, gap: sum / n };
  };
  const weighted = margin(1 / (1 - 0.99));
  const unit = margin(1);
  assert.ok(weighted.below > 0.9, `weight 100: policy states above the absorbing state: ${weighted.below}`);
  assert.ok(weighted.gap > unit.gap + 0.5, `mean r - r(absorbing): weight 100 ${weighted.gap} vs weight 1 ${unit.gap}`);
});

test("AIRL reads log pi of the expert's actions on observations as the generator's network sees them (attach's networkObs: PPO's running statistics when it normalizes)", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  const { MlpActorCritic } = await import('../../agents/policies/mlp-actor-critic.js');
  const rng = new Rng(5);
  const expert = toy(32, true, rng);
  for (let k = 0; k < expert.obs.length; k++) expert.obs[k] = 100 + expert.obs[k];
  const adv = new AdversarialImitation({ kind: 'airl', config: resolveDiscriminatorConfig({ hidden: [8], updatesPerRollout: 2, batchSize: 16 }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
  const net = MlpActorCritic.create({ obsDim: 2, hidden: [8], activation: 'tanh', head: HEAD2 }, rng.spawn(), { logStdInit: 0 });
  try {
    const seen: number[] = [];
    adv.attach(net, (raw, rows) => {
      for (let k = 0; k < rows * 2; k++) seen.push(raw[k]);
      return Float32Array.from(raw.subarray(0, rows * 2), (v) => v - 100);
    });
    const b = new RolloutBuffer(16, 1, 2, 1);
    b.rawObs.set(rng.fillNormal(new Float32Array(32)));
    b.valid.fill(1);
    adv.relabel(b, 16, 0);
    assert.ok(seen.length > 0, 'the transform was called');
    assert.ok(seen.every((v) => v > 90), "it was handed the expert's raw observations (~100), not the rollout's");
    assert.ok(Array.from(b.rewards).every(Number.isFinite), 'finite rewards');
  } finally {
    net.dispose();
    adv.dispose();
  }
});

test("reward.observations: the reward networks read only the listed observation dimensions (the others held at 0), kept through a checkpoint; an index past the observation is a typed error", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  const rng = new Rng(7);
  const expert = toy(64, true, rng);
  const make = (observations?: number[]) => new AdversarialImitation({ kind: 'gail', config: resolveDiscriminatorConfig({ hidden: [8], updatesPerRollout: 1, ...(observations ? { observations } : {}) }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
  const rows = toy(16, false, new Rng(3));
  const moved = (j: number): Transitions => {
    const obs = rows.obs.slice();
    for (let r = 0; r < rows.rows; r++) obs[2 * r + j] += 0.7;
    return { ...rows, obs };
  };
  const scores = (reward: LearnedReward, t: Transitions): number[] => {
    const s = reward.score(t);
    const out = Array.from(s.dataSync());
    s.dispose();
    return out;
  };
  const n0 = tf.memory().numTensors;
  const only1 = make([1]);
  let saved: ReturnType<typeof only1.getState>['reward'];
  let before: number[];
  try {
    assert.deepEqual(only1.reward.spec.obsIndices, [1]);
    before = scores(only1.reward, rows);
    assert.deepEqual(scores(only1.reward, moved(0)), before, 'dimension 0 is not read');
    assert.notDeepEqual(scores(only1.reward, moved(1)), before, 'dimension 1 is');
    saved = only1.getState().reward;
  } finally {
    only1.dispose();
  }
  // One at a time: tfjs variable names are global.
  const restored = LearnedReward.restore(saved, new Rng(9), 'test');
  try {
    assert.deepEqual(restored.spec.obsIndices, [1]);
    assert.deepEqual(scores(restored, moved(0)), before, 'the restored reward ignores dimension 0 too');
  } finally {
    restored.dispose();
  }
  const all = make();
  try {
    assert.equal(all.reward.spec.obsIndices, undefined);
    assert.notDeepEqual(scores(all.reward, moved(0)), scores(all.reward, rows), 'by default every dimension is read');
  } finally {
    all.dispose();
  }
  assert.equal(tf.memory().numTensors, n0);
  assert.throws(() => make([0, 2]), { name: 'InvalidArgument', message: /^GAIL\.reward\.observations: expected observation indices in \[0, 2\), got 2\./ });
  assert.throws(() => resolveDiscriminatorConfig({ observations: [] }, 'r'), /r\.observations/);
  assert.throws(() => resolveDiscriminatorConfig({ observations: [-1] }, 'r'), /r\.observations/);
});

test("AIRL logPiWeight: the generator's reward is f - w log pi (w = 1: AIRL's logit); the discriminator's own loss is unchanged by it", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  const { MlpActorCritic } = await import('../../agents/policies/mlp-actor-critic.js');
  const expert = toy(32, true, new Rng(5));
  const buffer = (): RolloutBuffer => {
    const b = new RolloutBuffer(8, 1, 2, 1);
    b.rawObs.set(new Rng(4).fillNormal(new Float32Array(16)));
    b.logProbs.set([-0.1, -0.5, -1, -2, -3, -0.2, -0.7, -4]);
    b.valid.fill(1);
    return b;
  };
  const run = (logPiWeight: number | undefined, head: HeadSpec = HEAD2): { rewards: number[]; loss: number } => {
    // One at a time: tfjs variable names are global. Same seeds: the same networks and minibatches.
    const t = head.kind === 'gaussian' ? { ...expert, actions: Float32Array.from(expert.actions, (a) => a - 0.5) } : expert;
    const adv = new AdversarialImitation({ kind: 'airl', config: resolveDiscriminatorConfig({ hidden: [8], updatesPerRollout: 1, batchSize: 8, normalizeReward: false, absorbing: false, ...(logPiWeight !== undefined ? { logPiWeight } : {}) }), expert: t, obsDim: 2, head, actionBounds: head.kind === 'gaussian' ? { low: [-1], high: [1] } : null, gamma: 0.9, rng: new Rng(1) });
    const net = MlpActorCritic.create({ obsDim: 2, hidden: [8], activation: 'tanh', head }, new Rng(2), { logStdInit: 0 });
    try {
      adv.attach(net);
      const b = buffer();
      adv.relabel(b, 8, 0);
      return { rewards: Array.from(b.rewards), loss: adv.last!.loss };
    } finally {
      net.dispose();
      adv.dispose();
    }
  };
  const w1 = run(1);
  const w0 = run(0);
  const half = run(0.5);
  assert.equal(w0.loss, w1.loss, 'the discriminator step does not depend on the weight');
  const logPi = buffer().logProbs;
  for (let k = 0; k < 8; k++) {
    assert.ok(Math.abs(w1.rewards[k] - w0.rewards[k] + logPi[k]) < 1e-5, `row ${k}: (f - log pi) - f = -log pi`);
    assert.ok(Math.abs(half.rewards[k] - (w0.rewards[k] - 0.5 * logPi[k])) < 1e-5, `row ${k}: w = 0.5`);
  }
  assert.deepEqual(run(undefined).rewards, w1.rewards, 'default on discrete actions: 1');
  const gauss: HeadSpec = { kind: 'gaussian', dim: 1 };
  const gauss0 = run(0, gauss).rewards;
  assert.deepEqual(run(undefined, gauss).rewards, gauss0, 'default on continuous actions: 0');
  assert.notDeepEqual(run(1, gauss).rewards, gauss0);
  assert.throws(() => resolveDiscriminatorConfig({ logPiWeight: 1.5 }, 'r'), /r\.logPiWeight/);
});

test('replayCapacity: the discriminator samples policy rows from the last rollouts that fit (at least the current one), so states the policy has left stay scored as policy; 0 keeps the current rollout only', async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  // Expert: obs[0] in [-0.5, 0.5]. The policy first visits obs[0] = +1.5, then only obs[0] = -1.5.
  const rows = 64;
  const rng = new Rng(8);
  const expert: Transitions = { obsDim: 2, actDim: 1, rows, obs: new Float32Array(rows * 2), actions: new Float32Array(rows), nextObs: new Float32Array(rows * 2), terminated: new Uint8Array(rows), absorbing: new Uint8Array(rows) };
  for (let r = 0; r < rows; r++) expert.obs.set([rng.uniform(-0.5, 0.5), rng.uniform(-1, 1)], 2 * r);
  expert.nextObs.set(expert.obs);
  const rollout = (x: number): RolloutBuffer => {
    const b = new RolloutBuffer(rows, 1, 2, 1);
    for (let k = 0; k < rows; k++) b.rawObs.set([x + rng.uniform(-0.1, 0.1), rng.uniform(-1, 1)], 2 * k);
    b.lastRawObs.set([x, 0]);
    b.valid.fill(1);
    return b;
  };
  const probe = (x: number): Transitions => ({ obsDim: 2, actDim: 1, rows: 2, obs: Float32Array.from([x, 0, x, 0.5]), actions: Float32Array.from([0, 1]), nextObs: Float32Array.from([x, 0, x, 0.5]), terminated: new Uint8Array(2), absorbing: new Uint8Array(2) });
  const run = (replayCapacity: number): { left: number; expert: number; pools: number[] } => {
    const adv = new AdversarialImitation({ kind: 'gail', config: resolveDiscriminatorConfig({ hidden: [16, 16], updatesPerRollout: 20, batchSize: 32, absorbing: false, replayCapacity }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
    try {
      const pools: number[] = [];
      adv.relabel(rollout(1.5), rows, 0);
      pools.push(adv.replayRows);
      for (let k = 0; k < 12; k++) {
        adv.relabel(rollout(-1.5), rows * (k + 2), 0);
        pools.push(adv.replayRows);
      }
      const mean = (t: Transitions): number => Array.from(adv.reward.reward(t)).reduce((a, b) => a + b, 0) / t.rows;
      return { left: mean(probe(1.5)), expert: mean(probe(0)), pools };
    } finally {
      adv.dispose();
    }
  };
  const before = tf.memory().numTensors;
  const off = run(0);
  const on = run(20 * rows);
  const short = run(2.5 * rows);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.deepEqual(off.pools, new Array(13).fill(rows), 'off: the current rollout only');
  assert.deepEqual(on.pools, Array.from({ length: 13 }, (_, k) => (k + 1) * rows), 'every rollout so far fits');
  assert.deepEqual(short.pools, [rows, 2 * rows, ...new Array(11).fill(2 * rows)], 'the last rollouts that fit in 2.5 rollouts: two');
  // With the first rollout replayed, the state the policy left (+1.5) stays well below the expert's.
  // Measured: replay 1.13 at +1.5 vs 1.54 at 0; the current rollout only: 3.19 vs 2.42 (the left state scored above the expert's).
  assert.ok(on.left < on.expert - 0.25, `replay: reward at +1.5 ${on.left.toFixed(2)}, at the expert's 0 ${on.expert.toFixed(2)}`);
  assert.ok(on.left < off.left - 1, `replay ${on.left.toFixed(2)} vs the current rollout only ${off.left.toFixed(2)} at +1.5`);
});

test("replayCapacity with AIRL: log pi of the policy rows is re-read under the current generator once older rollouts are pooled (a rollout's stored log pi is only used while it is the whole pool)", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  const { MlpActorCritic } = await import('../../agents/policies/mlp-actor-critic.js');
  const expert = toy(32, true, new Rng(5));
  const buffer = (seed: number, storedLogPi: number | null): RolloutBuffer => {
    const b = new RolloutBuffer(8, 1, 2, 1);
    b.rawObs.set(new Rng(seed).fillNormal(new Float32Array(16)));
    b.actions.set([0, 1, 1, 0, 1, 0, 0, 1]);
    b.logProbs.fill(storedLogPi ?? Math.log(0.5));
    b.valid.fill(1);
    return b;
  };
  // The stored log pi of the second rollout: log(1/2) or a wrong -50.
  const run = (replayCapacity: number, second: number): number => {
    const adv = new AdversarialImitation({ kind: 'airl', config: resolveDiscriminatorConfig({ hidden: [8], updatesPerRollout: 1, batchSize: 8, absorbing: false, replayCapacity }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
    const net = MlpActorCritic.create({ obsDim: 2, hidden: [8], activation: 'tanh', head: HEAD2 }, new Rng(2), { logStdInit: 0 });
    try {
      adv.attach(net);
      adv.relabel(buffer(3, null), 8, 0);
      adv.relabel(buffer(4, second), 16, 0);
      return adv.last!.loss;
    } finally {
      net.dispose();
      adv.dispose();
    }
  };
  assert.equal(run(64, -50), run(64, Math.log(0.5)), 'pooled: the stored log pi is not read');
  assert.notEqual(run(0, -50), run(0, Math.log(0.5)), 'no replay: the rollout\'s own log pi is read');
});

test("support penalty: the adversarial trainers store the demonstrations' range in the reward's spec; learnedRewardHook scores a state beyond it as its nearest state inside minus supportPenalty per input std beyond (default 1), 0 for a reward without the range (an explicit penalty is then a typed error)", async () => {
  const { AdversarialImitation } = await import('../../agents/algos/gail/adversarial-imitation.js');
  const { learnedRewardHook, DEFAULT_SUPPORT_PENALTY } = await import('../../agents/rewards/learned-reward-hook.js');
  const expert = toy(64, true, new Rng(5));
  const adv = new AdversarialImitation({ kind: 'airl', config: resolveDiscriminatorConfig({ hidden: [8], observations: [0] }), expert, obsDim: 2, head: HEAD2, actionBounds: null, gamma: 0.9, rng: new Rng(1) });
  try {
    const { supportLow, supportHigh, obsVar } = adv.reward.spec;
    const col = (j: number): number[] => Array.from({ length: 64 }, (_, r) => expert.obs[2 * r + j]);
    assert.deepEqual(supportLow, [Math.min(...col(0)), Math.min(...col(1))]);
    assert.deepEqual(supportHigh, [Math.max(...col(0)), Math.max(...col(1))]);
    // Rows: inside, 0.5 beyond the top of dimension 0 (read), and beyond on dimension 1 only (not read: no penalty).
    const hi0 = supportHigh![0];
    const b = new RolloutBuffer(3, 1, 2, 1);
    b.rawObs.set([0, 0, hi0 + 0.5, 0.3, 0.1, 5]);
    b.lastRawObs.set([0, 0]);
    b.valid.fill(1);
    const at = (rows: number[][]): Float64Array => adv.reward.reward({ obsDim: 2, actDim: 1, rows: rows.length, obs: Float32Array.from(rows.flat()), actions: new Float32Array(rows.length), nextObs: Float32Array.from(rows.flat()), terminated: new Uint8Array(rows.length), absorbing: new Uint8Array(rows.length) });
    const g = at([[0, 0], [hi0, 0.3], [0.1, 5]]);
    for (const [penalty, expectDefault] of [[undefined, true], [2, false]] as const) {
      learnedRewardHook(adv.reward, { normalize: false, absorbing: false, ...(penalty !== undefined ? { supportPenalty: penalty } : {}) })(b);
      const k = expectDefault ? DEFAULT_SUPPORT_PENALTY : 2;
      const excess = 0.5 / Math.sqrt(obsVar[0]);
      assert.ok(Math.abs(b.rewards[0] - g[0]) < 1e-5, 'inside: g itself');
      assert.ok(Math.abs(b.rewards[1] - (g[1] - k * excess)) < 1e-4, `beyond: g at the clipped state minus ${k} x ${excess.toFixed(2)} std, got ${b.rewards[1]} vs ${g[1] - k * excess}`);
      assert.ok(Math.abs(b.rewards[2] - g[2]) < 1e-5, 'an unread dimension beyond the range costs nothing');
    }
    learnedRewardHook(adv.reward, { normalize: false, absorbing: false, supportPenalty: 0 })(b);
    assert.ok(Math.abs(b.rewards[1] - at([[hi0 + 0.5, 0.3]])[0]) < 1e-5, '0: the network as it extrapolates');
    assert.throws(() => learnedRewardHook(adv.reward, { supportPenalty: -1 }), { message: /^learnedRewardHook\.supportPenalty: expected a number >= 0, got -1/ });
  } finally {
    adv.dispose();
  }
  // A reward written before the range was stored (one at a time: tfjs variable names are global).
  const { supportLow: _l, supportHigh: _h, ...old } = adv.reward.spec;
  const oldReward = new LearnedReward(old as LearnedRewardSpec, new Rng(3));
  try {
    const b = new RolloutBuffer(2, 1, 2, 1);
    b.rawObs.set([0, 0, 9, 0]);
    b.valid.fill(1);
    b.rewards.fill(7);
    learnedRewardHook(oldReward, { normalize: false, absorbing: false })(b);
    assert.ok(b.rewards[1] !== 7, 'default 0: it still trains');
    assert.throws(() => learnedRewardHook(oldReward, { supportPenalty: 1 }), { name: 'InvalidArgument', message: /^learnedRewardHook\.supportPenalty: expected a reward whose spec holds the demonstrations' range/ });
  } finally {
    oldReward.dispose();
  }
});
