import { test } from 'node:test';
import assert from 'node:assert/strict';
import { make, makeAsync } from '../../../src/registry/registry.js';
import { checkEnv } from '../../../src/core/check-env.js';
import { Box } from '../../../src/core/spaces/box.js';
import { Dict } from '../../../src/core/spaces/dict.js';
import { InvalidArgument } from '../../../src/core/errors.js';
import '../../../envs/index.js';
import { LangReach, LANG_REACH_OBJECTS, LANG_REACH_MAX_CHARS, LANG_REACH_CLEAR_QPOS, LANG_REACH_SEEN_PIXELS, langReachObjectPixels, type LangReachObs } from '../../../envs/mujoco/lang-reach.js';
import { makeImageEnv } from '../../../envs/make-image-env.js';
import { LangReachExpert, type LangReachExpertOptions } from '../../../envs/mujoco/lang-reach-expert.js';
import { makeImageVec } from '../../../envs/make-image-vec.js';
import type { Env } from '../../../src/core/env.js';
import { chromiumSkip } from '../../helpers/chromium-gate.js';

/** The object an instruction names, e.g. "go to the green box" -> "green cube". */
function named(instruction: string): string {
  const [colour, word] = instruction.split(' ').slice(-2);
  return `${colour} ${word === 'ball' || word === 'sphere' ? 'ball' : 'cube'}`;
}

test('LangReach-v0: checkEnv clean; state is joints only; the instruction names the target object; seeded', async () => {
  checkEnv((await makeAsync('LangReach-v0')) as never, { makeFresh: () => make('LangReach-v0'), steps: 60 });
  const env = (await makeAsync('LangReach-v0')) as Env<LangReachObs, Float32Array>;
  try {
    const space = env.observationSpace as unknown as Dict;
    assert.deepEqual(space.keys, ['instruction', 'state']);
    assert.deepEqual((space.spaces.state as Box).shape, [12]);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const { obs, info } = env.reset({ seed });
      assert.ok(obs.instruction.length <= LANG_REACH_MAX_CHARS);
      assert.equal(named(obs.instruction), info.target, obs.instruction);
      assert.ok(LANG_REACH_OBJECTS.some((o) => o.name === info.target));
      seen.add(info.target as string);
      // The target's place is nowhere in what the env observes: the state is the 12 joint numbers.
      assert.equal(obs.state.length, 12);
      // objects() (privileged, for diagnostics): 3 distinct objects on the table, the target first, under its touch point.
      const objects = (env.unwrapped as LangReach).objects();
      assert.equal(objects.length, 3);
      assert.deepEqual(objects.map((o) => o.target), [true, false, false]);
      assert.equal(objects[0].name, info.target);
      assert.equal(new Set(objects.map((o) => o.name)).size, 3);
      const touch = (env.unwrapped as LangReach).targetPoint();
      assert.deepEqual([objects[0].position[0], objects[0].position[1]], [touch[0], touch[1]]);
      for (const o of objects) assert.ok(o.position[0] >= 0.25 && o.position[0] <= 0.55 && Math.abs(o.position[1]) <= 0.25 && o.position[2] > 0, `${o.name} at ${o.position}`);
    }
    assert.ok(seen.size >= 6, `targets drawn: ${[...seen].join(', ')}`);
    const a = env.reset({ seed: 7 });
    const p = Array.from((env.unwrapped as LangReach).targetPoint());
    const b = env.reset({ seed: 7 });
    assert.equal(a.obs.instruction, b.obs.instruction);
    assert.deepEqual(Array.from((env.unwrapped as LangReach).targetPoint()), p);
  } finally {
    env.close();
  }
});

/** Episodes (seeds 100, 101, ...) in which the scripted expert touches the named object within the time limit. */
async function expertSuccesses(id: string, episodes: number, options: LangReachExpertOptions = {}): Promise<number> {
  const env = (await makeAsync(id)) as Env<LangReachObs, Float32Array>;
  const expert = new LangReachExpert(env, options);
  try {
    let successes = 0;
    for (let seed = 0; seed < episodes; seed++) {
      let { obs } = env.reset({ seed: 100 + seed });
      let success = false;
      for (let t = 0; t < 50 && !success; t++) {
        const flat = new Float32Array(env.observationSpace.flatDim);
        env.observationSpace.flattenInto(obs, flat, 0);
        const r = env.step(expert.act(flat));
        obs = r.obs;
        success = r.info.isSuccess === true;
        if (r.truncated) break;
      }
      if (success) successes++;
    }
    assert.throws(() => expert.act(new Float32Array(2 * env.observationSpace.flatDim)), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReachExpert.act.obs: expected one observation row'));
    return successes;
  } finally {
    expert.dispose();
    env.close();
  }
}

test('LangReach-v0: the scripted expert touches the named object within the time limit; bad options are typed errors', async () => {
  assert.equal(await expertSuccesses('LangReach-v0', 10), 10);
  // lookFirst (demonstrations that show the target before reaching): moving clear first still leaves time to touch it.
  assert.equal(await expertSuccesses('LangReach-v0', 10, { lookFirst: true }), 10);
  const env = make('LangReach-v0');
  try {
    assert.throws(() => new LangReachExpert(env as never, { lookFirst: true, lookMaxSteps: 2.5 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'LangReachExpert.lookMaxSteps: expected a positive integer, got 2.5. Omit it for 20.');
    assert.throws(() => new LangReachExpert(env as never, { lookFirst: true, lookToleranceRad: -1 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'LangReachExpert.lookToleranceRad: expected a positive number, got -1. Omit it for 0.2.');
    assert.throws(() => new LangReachExpert(env as never, { lookGain: 4 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'LangReachExpert.options: expected lookGain only with lookFirst or lookIfHidden: true, got them without either. Add lookFirst: true (or lookIfHidden: true), or drop them.');
    assert.throws(() => new LangReachExpert(env as never, { lookFirst: 'yes' as never }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReachExpert.lookFirst: expected true or false, got "yes".'));
    assert.throws(() => new LangReachExpert(env as never, { lookIfHidden: 1 as never }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReachExpert.lookIfHidden: expected true or false, got 1.'));
    assert.throws(() => new LangReachExpert(env as never, { lookFirst: true, lookIfHidden: true }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReachExpert.options: expected one of lookFirst and lookIfHidden, got both.'));
    // lookIfHidden reads the target's pixels in the observed image: an env without a camera image is refused.
    assert.throws(() => new LangReachExpert(env as never, { lookIfHidden: true }), (e: unknown) => e instanceof InvalidArgument && e.message === "LangReachExpert.lookIfHidden: expected an env with camera images (an 'image' key, [height, width, 3]), got observation keys instruction, state. Build the env with makeImageEnv (lamkit record does, unless --no-images), or use lookFirst.");
  } finally {
    env.close();
  }
  assert.throws(() => new LangReach({ objects: 1 }), (e: unknown) => e instanceof InvalidArgument && e.message === 'LangReach-v0.objects: expected an integer in [2, 8], got 1. Omit it for 3 objects.');
});

test('LangReach-v1: v0 with the arm starting folded back (hand behind the object area); the same scenes per seed; checkEnv clean; the expert succeeds', async () => {
  checkEnv((await makeAsync('LangReach-v1')) as never, { makeFresh: () => make('LangReach-v1'), steps: 60 });
  const v0 = (await makeAsync('LangReach-v0')) as Env<LangReachObs, Float32Array>;
  const v1 = (await makeAsync('LangReach-v1')) as Env<LangReachObs, Float32Array>;
  try {
    for (let seed = 0; seed < 10; seed++) {
      const a = v0.reset({ seed });
      const b = v1.reset({ seed });
      assert.equal(b.obs.instruction, a.obs.instruction);
      assert.deepEqual((v1.unwrapped as LangReach).objects(), (v0.unwrapped as LangReach).objects());
      // Joints start at LANG_REACH_CLEAR_QPOS +- the reset noise (0.1 rad), the same noise as v0's around its home.
      for (let j = 0; j < 6; j++) assert.ok(Math.abs(b.obs.state[j] - LANG_REACH_CLEAR_QPOS[j]) <= 0.1 + 1e-6, `joint ${j}: ${b.obs.state[j]}`);
      const ee = (v1.unwrapped as LangReach).endEffector();
      assert.ok(ee[0] < 0.2 && ee[2] > 0.25, `hand at ${ee.map((x) => x.toFixed(3))}: behind the object area (x >= 0.25) and above it`);
    }
  } finally {
    v0.close();
    v1.close();
  }
  assert.equal(await expertSuccesses('LangReach-v1', 10), 10);
  assert.throws(() => new LangReach({ startPose: 'clear', objects: 9 }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReach-v1.objects: expected an integer in [2, 8], got 9.'));
  assert.throws(() => new LangReach({ startPose: 'up' as never }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('LangReach.startPose: expected one of home, clear, got "up".'));
});

test('LangReach-v0 with images (makeImageVec): { image, instruction, state } batches; each image shows its own scene', { skip: chromiumSkip() }, async () => {
  const n = 4;
  const vec = await makeImageVec('LangReach-v0', n, { width: 48, height: 48 });
  try {
    const space = vec.singleObservationSpace;
    assert.deepEqual(space.keys, ['image', 'instruction', 'state']);
    assert.deepEqual((space.spaces.image as Box).shape, [48, 48, 3]);
    const r = await vec.reset({ seed: 3 });
    const images = r.images!.image;
    assert.equal(images.length, n * 48 * 48 * 3);
    assert.equal(r.text!.instruction.length, n);
    const per = 48 * 48 * 3;
    for (let i = 0; i < n; i++) {
      // The flat obs holds the same pixels at the image's offset (first key).
      assert.equal(r.obs[i * vec.obsDim + 100], images[i * per + 100]);
      // The named object's colour is in the picture: count pixels where that channel dominates.
      const colour = named(r.text!.instruction[i]).split(' ')[0];
      let count = 0;
      for (let p = 0; p < 48 * 48; p++) {
        const [R, G, B] = [images[i * per + 3 * p], images[i * per + 3 * p + 1], images[i * per + 3 * p + 2]];
        const hit = colour === 'red' ? R > 120 && R - G > 70 && R - B > 70 : colour === 'green' ? G > 90 && G - R > 50 && G - B > 40 : colour === 'blue' ? B > 120 && B - R > 70 && B - G > 40 : R > 150 && G > 130 && R - B > 80 && G - B > 80;
        if (hit) count++;
      }
      assert.ok(count >= 3, `sub-env ${i}: ${colour} object visible (${count} px) for "${r.text!.instruction[i]}"`);
    }
    for (let i = 1; i < n; i++) assert.notDeepEqual(images.subarray(i * per, (i + 1) * per), images.subarray(0, per), `sub-env ${i} differs from 0`);
    const s = await vec.step(new Float32Array(n * 6));
    assert.equal(s.images!.image.length, n * per);
  } finally {
    await vec.close();
    await vec.close();
  }
});

/**
 * LangReach-v0 at 96 x 96, seeds 0-39, the expert with `options` beside the plain one: per seed, whether the target is
 * in sight at each step up to and including the one where the reach starts (the expert's action equals the plain
 * expert's, its Cartesian controller), and that step (-1 when it has not started within the 50 steps).
 */
async function lookRollouts(options: LangReachExpertOptions): Promise<Array<{ seed: number; inSight: boolean[]; reachStep: number }>> {
  const env = await makeImageEnv('LangReach-v0', { width: 96, height: 96 });
  const expert = new LangReachExpert(env as never, options);
  const direct = new LangReachExpert(env as never);
  try {
    const out: Array<{ seed: number; inSight: boolean[]; reachStep: number }> = [];
    for (let seed = 0; seed < 40; seed++) {
      let { obs } = await env.reset({ seed });
      const target = (env.unwrapped as unknown as LangReach).objects()[0];
      const inSight: boolean[] = [];
      let reachStep = -1;
      for (let t = 0; t < 50 && reachStep < 0; t++) {
        const flat = new Float32Array(env.observationSpace.flatDim);
        env.observationSpace.flattenInto(obs, flat, 0);
        const action = expert.act(flat);
        const reach = direct.act(flat);
        inSight.push(langReachObjectPixels((obs as { image: Uint8Array }).image, 96, 96, target) >= LANG_REACH_SEEN_PIXELS);
        if (action.every((a, i) => a === reach[i])) reachStep = t;
        else obs = (await env.step(action)).obs;
      }
      out.push({ seed, inSight, reachStep });
    }
    return out;
  } finally {
    expert.dispose();
    direct.dispose();
    await env.close();
  }
}

test('LangReach-v0, the expert with lookFirst: it moves clear of the camera first, so the target is in sight when the reach starts', { skip: chromiumSkip() }, async () => {
  const runs = await lookRollouts({ lookFirst: true });
  for (const { seed, reachStep } of runs) assert.ok(reachStep >= 3 && reachStep <= 20, `seed ${seed}: reach starts at step ${reachStep}`);
  const hiddenAtStart = runs.filter((r) => !r.inSight[0]).map((r) => r.seed);
  assert.ok(hiddenAtStart.length >= 3, `hidden on the first frame: ${hiddenAtStart.join(', ')}`);
  assert.deepEqual(runs.filter((r) => !r.inSight[r.reachStep]).map((r) => r.seed), [], 'hidden when the reach starts');
});

test('LangReach-v0, the expert with lookIfHidden: it reaches at once where the target is in sight and moves clear only while it is hidden', { skip: chromiumSkip() }, async () => {
  const runs = await lookRollouts({ lookIfHidden: true });
  // At once where the target is in sight, else on the first step it shows, by step 20.
  for (const { seed, inSight, reachStep } of runs) {
    assert.ok(reachStep >= 0 && reachStep <= 20, `seed ${seed}: reach starts at step ${reachStep}`);
    assert.deepEqual(inSight, [...Array(reachStep).fill(false), true], `seed ${seed}: target in sight per step until the reach starts`);
  }
  const hiddenAtStart = runs.filter((r) => !r.inSight[0]).map((r) => r.seed);
  assert.ok(hiddenAtStart.length >= 3, `hidden on the first frame: ${hiddenAtStart.join(', ')}`);
});

test('LangReach-v1: the camera sees every target on the first frame, where v0\'s start posture hides some under the arm', { skip: chromiumSkip() }, async () => {
  const hidden: Record<string, number[]> = {};
  for (const id of ['LangReach-v0', 'LangReach-v1']) {
    const env = await makeImageEnv(id, { width: 96, height: 96 });
    hidden[id] = [];
    try {
      for (let seed = 0; seed < 40; seed++) {
        const { obs } = await env.reset({ seed });
        const target = (env.unwrapped as unknown as LangReach).objects()[0];
        if (langReachObjectPixels((obs as { image: Uint8Array }).image, 96, 96, target) < LANG_REACH_SEEN_PIXELS) hidden[id].push(seed);
      }
    } finally {
      await env.close();
    }
  }
  // v0 (seeds 0-39): the target under the arm in seeds 5, 25, 33, 35 and 37 (measured when v1 was made); the count
  // shows the pixel measure can tell a hidden target.
  assert.ok(hidden['LangReach-v0'].length >= 3, `v0 hidden: ${hidden['LangReach-v0'].join(', ')}`);
  assert.deepEqual(hidden['LangReach-v1'], []);
  assert.throws(() => langReachObjectPixels(new Uint8Array(12), 2, 2, { colour: 'pink', position: [0.4, 0, 0.03] }), (e: unknown) => e instanceof InvalidArgument && e.message.startsWith('langReachObjectPixels.object.colour: expected one of red, green, blue, yellow, got "pink".'));
});
