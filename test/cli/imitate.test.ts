import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRecord } from '../../src/cli/commands/record.js';
import { runImitate, checkDatasetSpaces, type ImitateFlags } from '../../src/cli/commands/imitate.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { main } from '../../src/cli/main.js';
import { runReward } from '../../src/cli/commands/reward.js';
import { runTrain } from '../../src/cli/commands/train.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';

const DEMOS = fileURLToPath(new URL('../fixtures/imitation/cartpole-demos', import.meta.url));
const EXPERT = fileURLToPath(new URL('../fixtures/imitation/cartpole-ppo', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-imitate-'));
const pendulum = join(root, 'pendulum');
const cartpole10 = join(root, 'cartpole10');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await runRecord({ env: 'Pendulum-v1', policy: 'random', episodes: '1', seed: '0', out: pendulum, progress: false });
  // Enough episodes for finetune's seeded 80/10/10 split.
  await runRecord({ env: 'CartPole-v1', policy: EXPERT, episodes: '10', seed: '0', out: cartpole10, progress: false });
});

const flags = (f: Partial<ImitateFlags>): ImitateFlags => ({ algo: 'gail', env: 'CartPole-v1', data: DEMOS, progress: false, ...f });

test('lamkit imitate --algo dagger: the aggregated dataset grows by the labelled states of each round, the checkpoint evaluates with lamkit eval', async () => {
  const out = join(root, 'dagger');
  const o = await runImitate(flags({ algo: 'dagger', expert: EXPERT, episodes: '1', out, config: JSON.stringify({ rounds: 2, episodesPerRound: 1, evalEpisodes: 1, bc: { maxSteps: 200 } }) }));
  assert.equal(o.globalStep, 2);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const steps = rows.filter((r) => r['dagger/aggregated_steps'] !== undefined).map((r) => r['dagger/aggregated_steps'] as number);
  assert.equal(steps[0], 500, 'round 0: the one demonstration episode');
  const ds = await openDataset(join(out, 'aggregated'));
  assert.equal(ds.episodes.length, 2, 'one labelled episode per round');
  // Each round adds exactly the states it labelled.
  assert.equal(steps[2] - steps[0], ds.totalFrames);
  assert.ok(steps[1] > steps[0] && steps[2] > steps[1]);
  assert.deepEqual(rows.filter((r) => r['dagger/beta'] !== undefined).map((r) => r['dagger/beta']), [0.5, 0.25]);
  const ev = await runEval({ checkpoint: out, episodes: '2', seed: '0' });
  assert.ok(ev.meanReturn > 0);
});

test('lamkit imitate --algo bc reaches lamkit finetune (report.json, checkpoint algo bc)', async () => {
  const out = join(root, 'bc');
  const o = await runImitate(flags({ algo: 'bc', data: cartpole10, out, config: JSON.stringify({ maxSteps: 100 }) }));
  assert.equal(o.algo, 'bc');
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.report.kind, 'categorical');
  const ck = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.equal(ck.algo.name, 'bc');
  assert.equal(ck.policy.kind, 'mlp');
});

test('lamkit imitate --algo gail and airl write a run directory whose checkpoint holds the learned reward', async () => {
  for (const algo of ['gail', 'airl']) {
    const out = join(root, algo);
    await runImitate(flags({ algo, out, episodes: '2', totalSteps: '512' }));
    const ck = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
    assert.equal(ck.algo.name, algo);
    assert.equal(ck.algo.state.reward.spec.kind, algo);
    if (algo === 'airl') assert.equal(ck.algo.state.reward.spec.stateOnly, true);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(rows.some((r) => r['disc/acc_expert'] !== undefined), `${algo} emits discriminator metrics`);
    // lamkit reward scores the run's own episodes with the learned reward (AIRL: g).
    const r = await runReward({ checkpoint: out, episodes: '2', seed: '0' });
    assert.equal(r.kind, algo);
    assert.equal(r.episodes.length, 2);
    assert.ok(r.episodes.every((e) => e.length > 0 && Number.isFinite(e.learnedReturn) && e.envReturn === e.length), 'CartPole pays 1 per step');
  }
  await assert.rejects(runReward({ checkpoint: join(root, 'bc'), episodes: '1', seed: '0' }), { message: /^lamkit reward --checkpoint: expected a run of lamkit imitate --algo gail or airl/ });
});

test('bad or mismatched demonstrations and flags give errors naming the mismatch (exit 2)', async () => {
  await assert.rejects(runImitate(flags({ data: pendulum })), {
    name: 'InvalidArgument',
    message: new RegExp(`^lamkit imitate --data ${pendulum} observation: expected 4 values \\(the observation of CartPole-v1\\), got 3 values`),
  });
  // CartPole's discrete labels on InvertedPendulum (same observation size, continuous actions).
  await assert.rejects(runImitate(flags({ env: 'InvertedPendulum-v5' })), { message: /lamkit imitate --data .* action: expected Box.* actions \(InvertedPendulum-v5\), got Discrete\(2\) labels/ });
  await assert.rejects(runImitate(flags({ algo: 'ppo' })), { message: /^lamkit imitate --algo: expected one of bc, dagger, gail, airl, got "ppo"/ });
  await assert.rejects(runImitate(flags({ algo: 'dagger' })), { message: /^lamkit imitate --expert: expected a labeller for DAgger/ });
  await assert.rejects(runImitate(flags({ config: '{"reward": {"labelSmoothing": 0.7}}' })), { message: /lamkit imitate --config\.reward\.labelSmoothing/ });
  // A BC network expects normalized observations; GAIL's CartPole defaults feed raw ones.
  await assert.rejects(runImitate(flags({ from: join(root, 'bc'), totalSteps: '256', out: join(root, 'gail-from') })), { message: /^GAIL --from: expected a network trained on raw observations, since normalizeObs is false/ });
  const code = await main(['imitate', '--algo', 'gail', '--env', 'CartPole-v1', '--data', pendulum]);
  assert.equal(code, 2);
});

test('lamkit imitate --resume continues a gail run from its checkpoint (metrics.jsonl continues); a taken --out is refused without --resume or --force; bc and dagger do not resume', async () => {
  const out = join(root, 'gail-resume');
  const first = await runImitate(flags({ out, episodes: '2', totalSteps: '512' }));
  assert.equal(first.globalStep, 512);
  assert.match(first.resumeCommand ?? '', new RegExp(`^lamkit imitate --algo gail --resume ${out} --data ${DEMOS} --episodes 2$`));
  await assert.rejects(runImitate(flags({ out, episodes: '2', totalSteps: '512' })), { name: 'InvalidArgument', message: /^lamkit imitate --out: expected a directory without a run in it, got .*Continue that run with --resume/ });
  await assert.rejects(runImitate(flags({ resume: out, seed: '5', episodes: '2' })), { message: /^lamkit imitate --seed: expected no such flag with --resume/ });
  await assert.rejects(runImitate(flags({ resume: out, force: true })), { message: /^lamkit imitate --force: expected no --force with --resume/ });
  await assert.rejects(runImitate(flags({ algo: 'airl', resume: out, episodes: '2' })), { message: /^lamkit imitate --algo: expected "gail" \(the trainer of the run being resumed\), got "airl"/ });
  await assert.rejects(runImitate(flags({ algo: 'bc', resume: out })), { message: /^lamkit imitate --resume: expected a gail or airl run \(bc and dagger runs do not resume\)/ });
  const rest = await runImitate({ algo: 'gail', data: DEMOS, resume: out, episodes: '2', totalSteps: '1024', progress: false });
  assert.equal(rest.outDir, out);
  assert.equal(rest.globalStep, 1024);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { global_step: number });
  const steps = rows.map((r) => r.global_step);
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'one run, in order');
  assert.ok(steps.some((s) => s <= 512) && steps.some((s) => s > 512), 'rows from both halves');
  assert.equal(JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8')).algo.state.globalStep, 1024);
  assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).resumedFrom, out);
});

test('lamkit train --reward <airl run>: PPO on a changed-dynamics variant trains on the frozen learned reward (the checkpoint names it, a resume must name it again); a reward of other spaces is refused', async () => {
  const airl = join(root, 'airl-for-transfer');
  await runImitate(flags({ algo: 'airl', out: airl, episodes: '2', totalSteps: '512' }));
  const train = (f: Record<string, string>): ReturnType<typeof runTrain> => runTrain({ algo: 'ppo', env: 'CartPole-heavy-v0', seed: '1', totalSteps: '512', checkpointMinutes: '0', vectorization: 'sync', progress: false, ...f });
  const lines: string[] = [];
  const onReward = await runTrain({ algo: 'ppo', env: 'CartPole-heavy-v0', seed: '1', totalSteps: '512', checkpointMinutes: '0', vectorization: 'sync', progress: false, reward: airl, out: join(root, 'transfer') }, { log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.includes(`training on the learned reward of ${airl} (AIRL's g; support penalty 1 per std beyond the demonstrations' range)`)), lines.join('\n'));
  const ck = readCheckpoint(onReward.checkpointDir).data;
  assert.deepEqual(ck.algo.state.learnedReward, { run: airl, kind: 'airl', supportPenalty: 1 });
  assert.equal((ck.algo.config as { normalizeReward: boolean }).normalizeReward, false);
  const rows = readFileSync(join(root, 'transfer', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.some((r) => r['charts/episodic_return'] !== undefined), "the env's reward is still reported");
  // Same seed and settings on the env's reward: the learned reward changed what PPO learned.
  const onEnv = await train({ out: join(root, 'transfer-env'), config: '{"normalizeReward": false}' });
  const bytes = (dir: string): Buffer[] => readCheckpoint(dir).data.policy.tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  assert.notDeepEqual(bytes(onReward.checkpointDir), bytes(onEnv.checkpointDir));
  await assert.rejects(train({ resume: join(root, 'transfer'), totalSteps: '768' }), { name: 'InvalidArgument', message: new RegExp(`^lamkit train --reward: expected "${airl}" \\(the learned reward the run being resumed trains on\\), got no --reward`) });
  await assert.rejects(train({ resume: join(root, 'transfer-env'), totalSteps: '768', reward: airl }), { message: /^lamkit train --reward: expected no --reward when resuming a run trained on the env's reward/ });
  await assert.rejects(train({ resume: join(root, 'transfer'), totalSteps: '768', reward: airl, rewardSupportPenalty: '0' }), { message: /^lamkit train --reward-support-penalty: expected 1 \(the penalty of the run being resumed\), got "0"/ });
  const resumed = await train({ resume: join(root, 'transfer'), totalSteps: '768', reward: airl });
  assert.equal(resumed.globalStep, 768);
  assert.equal((readCheckpoint(resumed.checkpointDir).data.algo.state.learnedReward as { supportPenalty: number }).supportPenalty, 1, 'the resume keeps the penalty');
  await assert.rejects(train({ reward: airl, rewardSupportPenalty: 'lots', out: join(root, 'transfer-bad-penalty') }), { message: /^lamkit train --reward-support-penalty: expected a number >= 0, got "lots"/ });
  await assert.rejects(train({ rewardSupportPenalty: '1', out: join(root, 'transfer-no-reward') }), { message: /^lamkit train --reward-support-penalty: expected a --reward <gail\|airl run> beside it, got no --reward/ });
  await assert.rejects(train({ env: 'Pendulum-v1', totalSteps: '4096', reward: airl, out: join(root, 'transfer-pendulum') }), { message: /^lamkit train --reward: expected a reward learned on a task with Pendulum-v1's spaces .*, got one learned on CartPole-v1/ });
  await assert.rejects(train({ reward: join(root, 'transfer-env'), out: join(root, 'transfer-bad') }), { message: /^lamkit train --reward: expected a run of lamkit imitate --algo gail or airl/ });
});

test('an empty dataset, or one without recorded spaces, is refused naming the problem', async () => {
  const ds = await openDataset(DEMOS);
  const spaces = ds.spaces!;
  assert.throws(() => checkDatasetSpaces({ spaces, episodes: [] }, 'data/empty', 'CartPole-v1', spaces.observation, spaces.action), {
    name: 'InvalidArgument',
    message: /^lamkit imitate --data data\/empty: expected at least one episode, got an empty dataset\. Record demonstrations: lamkit record --env CartPole-v1/,
  });
  assert.throws(() => checkDatasetSpaces({ spaces: null, episodes: ds.episodes }, 'data/x', 'CartPole-v1', spaces.observation, spaces.action), { message: /^lamkit imitate --data data\/x: expected a dataset recorded by lamkit \(its spaces in meta\/info\.json\), got no spaces/ });
});
