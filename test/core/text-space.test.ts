import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Text, INSTRUCTION_CHARSET, ALPHANUMERIC, textRanges } from '../../src/core/spaces/text.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Box } from '../../src/core/spaces/box.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { spaceFromJSON } from '../../src/core/spaces/from-json.js';
import { Rng } from '../../src/core/rng.js';
import { InvalidSpace } from '../../src/core/errors.js';
import { checkEnv } from '../../src/core/check-env.js';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { recordEpisodes } from '../../src/data/record-episodes.js';
import { checkSpaceLimits } from '../../src/bridge/space-limits.js';
import { BridgeProtocolError } from '../../src/bridge/errors.js';
import { TestEnv } from '../helpers/test-env.js';
import { tempDir } from '../data/helpers.js';

test('Text: contains checks type, length bounds and charset (spaces and punctuation included)', () => {
  const s = new Text(12, { minLength: 2, charset: INSTRUCTION_CHARSET });
  assert.equal(s.contains('jump now!'), true);
  assert.equal(s.contains("don't move."), true);
  assert.equal(s.contains('a'), false);
  assert.equal(s.explain('a'), 'a string of 1 characters is outside [2, 12]');
  assert.equal(s.explain('this is far too long'), 'a string of 20 characters is outside [2, 12]');
  assert.equal(s.explain('go@home'), 'character "@" is not in the charset');
  assert.equal(s.explain(3), '3 is not a string');
  assert.equal(new Text(5).contains('ab c'), false, 'the default charset (alphanumeric, as Gymnasium) has no space');
  assert.equal(new Text(5).charset, ALPHANUMERIC);
});

test('Text: samples lie in the space, with lengths spread over [minLength, maxLength], deterministic per seed', () => {
  const s = new Text(6, { minLength: 1, charset: 'ab !' });
  const rng = new Rng(3);
  const lengths = new Set<number>();
  for (let i = 0; i < 300; i++) {
    const x = s.sample(rng);
    assert.equal(s.contains(x), true, x);
    lengths.add(x.length);
  }
  assert.deepEqual([...lengths].sort(), [1, 2, 3, 4, 5, 6]);
  assert.equal(s.sample(new Rng(9)), s.sample(new Rng(9)));
});

test('Text: flat form is Gymnasium\'s (charset indices padded with charset.length) and unflattens back', () => {
  const s = new Text(5, { minLength: 0, charset: 'abc ' });
  assert.deepEqual([...s.flatten('ca b')], [2, 0, 3, 1, 4]);
  assert.deepEqual([...s.flatten('')], [4, 4, 4, 4, 4]);
  assert.equal(s.flatDim, 5);
  for (const x of ['', 'a', 'ca b', 'abc a']) assert.equal(s.unflatten(s.flatten(x)), x);
});

test('Text: JSON round trip, also inside a Dict; malformed JSON and bad constructor arguments are typed errors', () => {
  const s = new Text(64, { minLength: 1, charset: INSTRUCTION_CHARSET });
  const back = spaceFromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  assert.ok(back instanceof Text);
  assert.equal(back.equals(s), true);
  assert.equal((back as Text).charset, INSTRUCTION_CHARSET);
  const d = new Dict({ state: new Box(-1, 1, [3]), instruction: s });
  assert.equal(spaceFromJSON(JSON.parse(JSON.stringify(d.toJSON()))).equals(d), true);
  assert.match(String(d), /Dict\('instruction': Text\(1, 64, charset=/);
  assert.throws(() => spaceFromJSON({ type: 'Text', maxLength: 'x' }), (e: unknown) => e instanceof InvalidSpace && /spaceFromJSON\.maxLength: expected a positive integer, got "x"/.test((e as Error).message));
  assert.throws(() => new Text(0), /Text\.maxLength: expected a positive integer, got 0/);
  assert.throws(() => new Text(4, { minLength: 5 }), /Text\.minLength: expected an integer in \[0, maxLength = 4\], got 5/);
  assert.throws(() => new Text(4, { charset: 'aa' }), /Text\.charset: expected a non-empty string of distinct characters, got "aa"/);
});

test('textRanges finds the Text members of a Dict in flat order (keys sorted)', () => {
  const d = new Dict({ state: new Box(-1, 1, [3]), instruction: new Text(8), z: new Text(2) });
  assert.deepEqual(textRanges(d).map((r) => [r.key, r.offset]), [['instruction', 0], ['z', 11]]);
  assert.deepEqual(textRanges(new Box(0, 1, [2])), []);
});

/** An env observing `{ state, instruction }`: the instruction changes with the step count. */
function instructionEnv(): TestEnv<{ state: Float32Array; instruction: string }, number> {
  const words = ['go left', 'jump!', 'hold still.', "don't move"];
  return new TestEnv({
    observationSpace: new Dict({ state: new Box(-10, 10, [2]), instruction: new Text(16, { charset: INSTRUCTION_CHARSET }) }) as never,
    actionSpace: new Discrete(3),
    reset: ({ rng }) => ({ obs: { state: Float32Array.of(rng.uniform(-1, 1), 0), instruction: words[rng.integer(0, 4)] }, info: {} }),
    step: (a, { t, rng }) => ({ obs: { state: Float32Array.of(a, t + 1), instruction: words[(t + 1 + rng.integer(0, 2)) % 4] }, reward: 1, terminated: false, truncated: t + 1 >= 4, info: {} }),
  });
}

test('Dict { state, instruction }: checkEnv is clean; a vector env gives numeric batches and one string per sub-env', async () => {
  checkEnv(instructionEnv() as never);
  const vec = new SyncVectorEnv(Array.from({ length: 3 }, () => () => instructionEnv()));
  try {
    const space = vec.singleObservationSpace as Dict;
    const r = await vec.reset({ seed: 5 });
    assert.ok(r.text, 'text batch present');
    assert.equal(r.text.instruction.length, 3);
    for (let i = 0; i < 3; i++) {
      const obs = space.unflatten(r.obs, i * vec.obsDim) as { instruction: string };
      assert.equal(r.text.instruction[i], obs.instruction);
      assert.ok(['go left', 'jump!', 'hold still.', "don't move"].includes(obs.instruction));
    }
    const step = await vec.step(Int32Array.of(0, 1, 2));
    for (let i = 0; i < 3; i++) assert.equal(step.text?.instruction[i], (space.unflatten(step.obs, i * vec.obsDim) as { instruction: string }).instruction);
    // The state part stays numeric: action a and step 1.
    assert.deepEqual([...step.obs.subarray(16, 18)], [0, 1]);
  } finally {
    await vec.close();
  }
});

test('recordEpisodes stores an instruction as a string column (observation.instruction) that reads back equal', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = instructionEnv();
    const seen: string[] = [];
    const policy = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, act: () => 1 };
    const wrapped = { ...policy, act: (obs: unknown) => (seen.push((env.observationSpace as unknown as Dict).unflatten(obs as Float32Array).instruction as string), Int32Array.of(1)) };
    await recordEpisodes(wrapped as never, env as never, { out: dir, episodes: 2, seed: 1 });
    const ds = await openDataset(dir);
    assert.equal(ds.info.features['observation.instruction'].dtype, 'string');
    const texts: string[] = [];
    for (let e = 0; e < 2; e++) texts.push(...((await ds.readEpisode(e, ['observation.instruction']))['observation.instruction'] as string[]));
    assert.deepEqual(texts, seen);
    assert.ok(ds.spaces && ds.spaces.observation.equals(env.observationSpace as never));
  } finally {
    cleanup();
  }
});

test('the bridge refuses a Text space over its documented instruction limit', () => {
  assert.equal(checkSpaceLimits(new Dict({ instruction: new Text(1024) }).toJSON(), 'hello.observationSpace'), 1024);
  assert.throws(
    () => checkSpaceLimits(new Dict({ instruction: new Text(5000) }).toJSON(), 'hello.observationSpace'),
    (e: unknown) => e instanceof BridgeProtocolError && /hello\.observationSpace\.spaces\.instruction\.maxLength: expected an integer in \[1, 1024\] \(the bridge's instruction length limit\), got 5000/.test((e as Error).message),
  );
});
