import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeAsync } from '../../src/registry/registry.js';
import { checkEnv } from '../../src/core/check-env.js';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { Rng } from '../../src/core/rng.js';
import '../../envs/index.js';
import { CommandAvatar } from '../../envs/command/command-avatar.js';
import { CommandAvatarExpert } from '../../envs/command/command-avatar-expert.js';
import { COMMAND_ACTIONS, CORES, PREFIXES, SUFFIXES, phrasings } from '../../envs/command/phrasings.js';
import { tokenizeInstruction } from '../../agents/text/tokenize.js';
import { loadMujoco } from '../../sim/load-mujoco.js';

test('phrasings: the held-out split shares no instruction, core, prefix or suffix with the seen split; every instruction fits the Text space', () => {
  const seen = new Set(COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'seen')));
  const heldOut = COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'heldOut'));
  assert.ok(seen.size >= 700 && heldOut.length >= 2000, `${seen.size} seen, ${heldOut.length} held out`);
  assert.equal(heldOut.filter((p) => seen.has(p)).length, 0);
  const seenCores = new Set(COMMAND_ACTIONS.flatMap((a) => CORES[a].seen));
  for (const a of COMMAND_ACTIONS) for (const c of CORES[a].heldOut) assert.ok(!seenCores.has(c), c);
  for (const p of PREFIXES.heldOut) assert.ok(!(PREFIXES.seen as readonly string[]).includes(p));
  for (const s of SUFFIXES.heldOut) assert.ok(!(SUFFIXES.seen as readonly string[]).includes(s));
  // One action per instruction (a phrasing never means two things).
  const owner = new Map<string, string>();
  for (const a of COMMAND_ACTIONS) for (const p of phrasings(a, 'all')) {
    assert.ok(!owner.has(p) || owner.get(p) === a, `${p}: ${owner.get(p)} and ${a}`);
    owner.set(p, a);
  }
  const env = new CommandAvatarProbe();
  for (const p of owner.keys()) assert.ok(env.fits(p), p);
  // Held-out core words: at least one word per held-out core never occurs in a seen instruction (new synonyms).
  const seenWords = new Set([...seen].flatMap(tokenizeInstruction));
  const novel = COMMAND_ACTIONS.flatMap((a) => CORES[a].heldOut).filter((c) => tokenizeInstruction(c).some((w) => !seenWords.has(w)));
  assert.ok(novel.length >= 20, `${novel.length} held-out cores bring unseen words`);
});

/** Checks strings against CommandAvatar-v0's Text space without building MuJoCo. */
class CommandAvatarProbe {
  fits(s: string): boolean {
    return s.length <= 64 && /^[0-9A-Za-z .,!?;:'"()-]+$/.test(s);
  }
}

test('CommandAvatar-v0: checkEnv clean, the expert scores every step, a wrong action scores 0, held-out phrasing is drawn only from its split', async () => {
  await loadMujoco();
  checkEnv((await makeAsync('CommandAvatar-v0')) as never, { makeFresh: () => new CommandAvatar() as never, steps: 45 });
  const env = await makeAsync('CommandAvatar-v0');
  try {
    const expert = new CommandAvatarExpert(env);
    let { obs } = env.reset({ seed: 3 });
    let total = 0;
    let steps = 0;
    for (;;) {
      const a = expert.act(env.observationSpace.flatten(obs) as Float32Array)[0];
      const r = env.step(a);
      total += r.reward;
      steps++;
      obs = r.obs;
      if (r.terminated || r.truncated) {
        assert.equal(r.terminated, true);
        assert.equal(r.info.isSuccess, true);
        break;
      }
    }
    assert.equal(steps, 40);
    assert.equal(total, 40);
    const wrong = (env.reset({ seed: 3 }).info.command as string) === 'none' ? 1 : 0;
    assert.equal(env.step(wrong).reward, 0);
  } finally {
    env.close();
  }
  const held = new CommandAvatar({ phrasing: 'heldOut' });
  const seen = new Set(COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'seen')));
  const rng = new Rng(1);
  for (let e = 0; e < 5; e++) {
    held.reset({ seed: rng.integer(0, 1000) });
    for (let t = 0; t < 40; t++) {
      const { instruction } = held.currentCommand;
      assert.ok(!seen.has(instruction), instruction);
      held.step(0);
    }
  }
  held.close();
  assert.throws(() => new CommandAvatar({ phrasing: 'unseen' as never }), /CommandAvatar-v0\.phrasing: expected 'seen', 'heldOut' or 'all', got "unseen"/);
});

test('CommandAvatar-v0: actions move the body as named (left is +y, forward +x, jump rises, attack swings the arm)', async () => {
  await loadMujoco();
  const env = new CommandAvatar();
  try {
    const after = (action: string): Float32Array => {
      env.reset({ seed: 0 });
      const start = env.reset({ seed: 0 }).obs.state.slice();
      let s: Float32Array = start;
      for (let i = 0; i < 4; i++) s = env.step(COMMAND_ACTIONS.indexOf(action as never)).obs.state;
      return Float32Array.from(s, (v, i) => v - start[i]);
    };
    assert.ok(after('left')[1] > 0.02 && after('right')[1] < -0.02);
    assert.ok(after('forward')[0] > 0.02 && after('backward')[0] < -0.02);
    assert.ok(after('jump')[2] > 0.1 && after('down')[2] < -0.05);
    assert.ok(after('attack')[6] < -0.3);
    const none = after('none');
    assert.ok(Math.abs(none[0]) < 1e-6 && Math.abs(none[1]) < 1e-6);
  } finally {
    env.close();
  }
});

test('CommandAvatar-v0 vectorized: one instruction string per sub-env', async () => {
  await loadMujoco();
  const vec = new SyncVectorEnv(Array.from({ length: 4 }, () => () => new CommandAvatar()));
  try {
    const r = await vec.reset({ seed: 11 });
    const seen = new Set(COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'seen')));
    assert.equal(r.text?.instruction.length, 4);
    for (const s of r.text!.instruction) assert.ok(seen.has(s), s);
  } finally {
    await vec.close();
  }
});
