import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrain, type TrainFlags } from '../../src/cli/commands/train.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { main, reportUnexpected } from '../../src/cli/main.js';
import { InvalidArgument } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-cli-train-'));
after(() => rmSync(root, { recursive: true, force: true }));
const out = join(root, 'run');
const small = JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2 });
const flags = (f: Partial<TrainFlags>): TrainFlags => ({ algo: 'ppo', vectorization: 'sync', progress: true, ...f });

test('lamkit train leaves a checkpoint, metrics.jsonl, summary.json, config.json and an SVG plot; eval and resume use them', async () => {
  const first = await runTrain(flags({ env: 'CartPole-v1', seed: '3', totalSteps: '1024', numEnvs: '4', out, config: small }));
  assert.equal(first.globalStep, 1024);
  for (const f of ['checkpoint/checkpoint.json', 'checkpoint/policy.bin', 'checkpoint/optimizer.bin', 'metrics.jsonl', 'summary.json', 'config.json', 'learning-curve.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.every((r) => typeof r.global_step === 'number' && typeof r.wall_s === 'number'));
  const episodeRows = rows.filter((r) => 'charts/episodic_return' in r);
  assert.ok(episodeRows.length > 10);
  assert.equal(rows.filter((r) => 'losses/approx_kl' in r).length, 1024 / (4 * 32));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.envId, 'CartPole-v1');
  assert.equal(summary.episodes, episodeRows.length);
  assert.match(readFileSync(join(out, 'learning-curve.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<path d="M/);

  const ev = await runEval({ checkpoint: out, episodes: '3', seed: '0' });
  assert.equal(ev.envId, 'CartPole-v1');
  assert.equal(ev.returns.length, 3);
  assert.ok(ev.meanReturn >= 8 && ev.meanReturn <= 500);
  assert.equal(ev.successRate, null);

  const resumed = await runTrain(flags({ resume: out, totalSteps: '2048' }));
  assert.equal(resumed.globalStep, 2048);
  const rows2 = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows2.filter((r) => 'losses/approx_kl' in r).length, 2048 / (4 * 32));
});

test('--policy-kind builds another registered network; --from starts a new run from a checkpoint; eval loads either', async () => {
  const win = join(root, 'window');
  const first = await runTrain(flags({ env: 'CartPole-v1', seed: '2', totalSteps: '512', numEnvs: '4', out: win, policyKind: 'window-mlp', config: JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2, seqLen: 8, policy: { window: 3, hidden: [16] } }) }));
  assert.equal(first.globalStep, 512);
  const ck = JSON.parse(readFileSync(join(win, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.equal(ck.policy.kind, 'window-mlp');
  assert.equal(ck.policy.spec.window, 3);
  assert.equal(ck.algo.name, 'ppo');
  const ev = await runEval({ checkpoint: win, episodes: '2', seed: '0' });
  assert.equal(ev.returns.length, 2);
  // A new run from those weights: same network, fresh optimizer and counters.
  const tuned = join(root, 'from');
  const second = await runTrain(flags({ env: 'CartPole-v1', seed: '2', totalSteps: '256', numEnvs: '4', out: tuned, from: win, config: JSON.stringify({ numSteps: 32, numMinibatches: 2, updateEpochs: 2, seqLen: 8 }) }));
  assert.equal(second.globalStep, 256);
  const ck2 = JSON.parse(readFileSync(join(tuned, 'checkpoint/checkpoint.json'), 'utf8'));
  assert.deepEqual(ck2.policy.spec, ck.policy.spec);
  await assert.rejects(runTrain(flags({ env: 'Pendulum-v1', out: join(root, 'x'), from: win })), (err: Error) => err instanceof InvalidArgument && err.message.startsWith('lamkit train --from: expected a policy for obs 3 and head {"kind":"gaussian","dim":1}, got a \'window-mlp\' policy for obs 4'));
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: join(root, 'x'), policyKind: 'lstm' })), { message: /^PPO\.policy\.kind: expected a registered policy kind \(mlp, window-mlp, transformer, text-transformer\), got "lstm"\./ });
  await assert.rejects(runTrain(flags({ resume: win, policyKind: 'mlp' })), { message: /^lamkit train --policy-kind: expected "window-mlp" \(the value of the run being resumed\) or no flag/ });
});

test('bad flags throw typed errors naming the flag and the accepted values', async () => {
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', algo: 'sac', out })), {
    name: 'InvalidArgument',
    message: 'lamkit train --algo: expected one of ppo, got "sac". Pass --algo ppo.',
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', totalSteps: '1e3x', out })), {
    message: 'lamkit train --total-steps: expected an integer >= 1, got "1e3x". Pass e.g. --total-steps 100000.',
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', numEnvs: '0', out })), {
    message: 'lamkit train --num-envs: expected an integer >= 1, got "0". Pass e.g. --num-envs 8.',
  });
  const fresh = join(root, 'never-written');
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: fresh, config: '{"lr": 0.1}' })), (err: Error) => {
    assert.ok(err instanceof InvalidArgument);
    assert.match(err.message, /^lamkit train --config: expected only known keys \(seed, totalSteps, .*\), got unknown key\(s\) lr\. Fix the spelling or remove them\.$/);
    return true;
  });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: fresh, config: '{"gamma": 2}' })), {
    message: /^lamkit train --config\.gamma: expected a number <= 1, got 2\./,
  });
  assert.ok(!existsSync(fresh), 'a run that failed before training leaves no directory behind');
  await assert.rejects(runTrain(flags({ env: 'NoSuchTask-v0', out })), { name: 'RegistryError' });
  await assert.rejects(runTrain(flags({ resume: join(root, 'missing') })), { name: 'FileFormatError' });
  await assert.rejects(runEval({ checkpoint: out, episodes: 'ten', seed: '0' }), {
    message: 'lamkit eval --episodes: expected an integer >= 1, got "ten". Pass e.g. --episodes 10.',
  });
});

test('the lamkit command reports a bad flag on stderr with exit code 2', async () => {
  const written: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['train', '--env', 'CartPole-v1', '--algo', 'dqn', '--out', out]);
  } finally {
    process.stderr.write = orig;
  }
  assert.equal(code, 2);
  assert.match(written.join(''), /lamkit: InvalidArgument: lamkit train --algo: expected one of ppo, got "dqn"/);
});

/** Runs the lamkit command in this process; returns its exit code and what it wrote to stderr and stdout. */
async function lamkit(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const origErr = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string, ...rest: never[]) => (String(chunk).startsWith('lamkit') ? (out.push(String(chunk)), true) : origOut(chunk, ...rest))) as typeof process.stdout.write;
  try {
    return { code: await main(argv), stderr: err.join(''), stdout: out.join('') };
  } finally {
    process.stderr.write = origErr;
    process.stdout.write = origOut;
  }
}

test('an existing run directory is refused (exit 2) unless --resume or --force; --out pointing to a file is a typed error, not EEXIST', async () => {
  const taken = join(root, 'taken');
  const args = ['train', '--env', 'CartPole-v1', '--total-steps', '256', '--num-envs', '4', '--config', small, '--no-progress', '--checkpoint-minutes', '0'];
  assert.equal((await lamkit([...args, '--out', taken])).code, 0);
  const ck = readFileSync(join(taken, 'checkpoint/checkpoint.json'), 'utf8');
  const rowsBefore = readFileSync(join(taken, 'metrics.jsonl'), 'utf8');
  const refused = await lamkit([...args, '--seed', '9', '--out', taken]);
  assert.equal(refused.code, 2);
  assert.equal(
    refused.stderr,
    `lamkit: InvalidArgument: lamkit train --out: expected a directory without a run in it, got ${JSON.stringify(taken)} (it holds checkpoint/, config.json, learning-curve.svg, metrics.jsonl, ...). Continue that run with --resume ${taken}, replace it with --force, or pick another --out.\n`,
  );
  assert.equal(readFileSync(join(taken, 'checkpoint/checkpoint.json'), 'utf8'), ck, 'the checkpoint is untouched');
  assert.equal(readFileSync(join(taken, 'metrics.jsonl'), 'utf8'), rowsBefore, 'metrics.jsonl is untouched');
  // --force replaces the run: a fresh metrics.jsonl, a new checkpoint.
  assert.equal((await lamkit([...args, '--seed', '9', '--out', taken, '--force'])).code, 0);
  assert.equal(JSON.parse(readFileSync(join(taken, 'checkpoint/checkpoint.json'), 'utf8')).algo.config.seed, 9);
  const rows = readFileSync(join(taken, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.filter((r) => 'losses/approx_kl' in r).length, 256 / (4 * 32), 'no rows of the replaced run');
  // EEXIST: --out is a file.
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  const eexist = await lamkit([...args, '--out', file]);
  assert.equal(eexist.code, 2);
  assert.equal(eexist.stderr, `lamkit: InvalidArgument: lamkit train --out: expected a directory, got ${JSON.stringify(file)} (an existing file). Pass a directory path, e.g. runs/cartpole.\n`);
  // Contradictory flags.
  assert.equal((await lamkit([...args, '--resume', taken, '--force'])).code, 2);
  assert.match((await lamkit(['train', '--resume', taken, '--out', join(root, 'elsewhere')])).stderr, /^lamkit: InvalidArgument: lamkit train --out: expected no --out with --resume, or the run's own directory/);
});

test('bad --config types exit 2 with one line in the house format', async () => {
  const r = await lamkit(['train', '--env', 'CartPole-v1', '--out', join(root, 'cfg'), '--config', '{"learningRate": "0.1"}']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'lamkit: InvalidArgument: lamkit train --config.learningRate: expected a number, got "0.1". See agents/algos/ppo/ppo-config.ts for each field.\n');
  assert.ok(!existsSync(join(root, 'cfg')));
});

test('resume cuts metrics.jsonl back to the checkpoint step and rebuilds summary and curve over the whole run; --total-steps that does not fill an update is said', async () => {
  const dir = join(root, 'cut');
  const lines: string[] = [];
  const first = await runTrain(flags({ env: 'CartPole-v1', seed: '4', totalSteps: '1000', numEnvs: '4', out: dir, config: small, progress: false }), { log: (l) => lines.push(l) });
  assert.equal(first.globalStep, 896);
  assert.ok(lines.includes('lamkit train: training 896 of the 1000 steps asked: ppo trains in whole updates, and the last 104 steps would not fill one'), lines.join('\n'));
  // What a run killed after its last checkpoint leaves: rows past the checkpoint's step.
  appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ global_step: 1000, wall_s: 9, 'charts/episodic_return': 999 }) + '\n' + '{"global_step": 1010, "wa');
  const resumedLines: string[] = [];
  const resumed = await runTrain(flags({ resume: dir, totalSteps: '1536', progress: false }), { log: (l) => resumedLines.push(l) });
  assert.equal(resumed.globalStep, 1536);
  assert.ok(resumedLines.includes(`lamkit train: resuming ${dir} from step 896 (its last checkpoint); training to step 1536`), resumedLines.join('\n'));
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const steps = rows.map((r) => r.global_step as number);
  assert.ok(steps.every((s, i) => i === 0 || s >= steps[i - 1]), 'global_step never goes back');
  assert.ok(!rows.some((r) => r['charts/episodic_return'] === 999));
  assert.equal(rows.filter((r) => 'losses/approx_kl' in r).length, 1536 / 128);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.episodes, rows.filter((r) => 'charts/episodic_return' in r).length, 'the summary covers the whole run');
  assert.equal(summary.resumedFrom, dir);
  // --resume also takes the checkpoint/ directory itself; the run continues in its run directory.
  assert.equal((await runTrain(flags({ resume: join(dir, 'checkpoint'), totalSteps: '1664', progress: false }))).outDir, dir);
});

test('--eval-every evaluates the deterministic policy on separate seeded envs, logs eval/* and keeps the best in best/', async () => {
  const dir = join(root, 'evald');
  const lines: string[] = [];
  const outcome = await runTrain(flags({ env: 'CartPole-v1', seed: '5', totalSteps: '2048', numEnvs: '4', out: dir, config: small, progress: false, evalEvery: '512', evalEpisodes: '3' }), { log: (l) => lines.push(l) });
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const evals = rows.filter((r) => 'eval/mean_return' in r);
  assert.deepEqual(evals.map((r) => r.global_step), [512, 1024, 1536, 2048]);
  for (const r of evals) assert.ok(r['eval/mean_return'] >= 8 && typeof r['eval/std_return'] === 'number' && typeof r['eval/mean_length'] === 'number');
  const bestMean = Math.max(...evals.map((r) => r['eval/mean_return']));
  const best = JSON.parse(readFileSync(join(dir, 'best/eval.json'), 'utf8'));
  assert.equal(best.meanReturn, bestMean);
  assert.equal(best.seed, 5 + 1_000_000);
  assert.equal(best.episodes, 3);
  assert.deepEqual(outcome.bestEval, best);
  assert.equal(evals.find((r) => r['eval/mean_return'] === bestMean)?.global_step, best.globalStep);
  assert.equal(lines.filter((l) => /^lamkit train: eval at step \d+: return [\d.]+ ± [\d.]+ over 3 episodes/.test(l)).length, 4);
  // best/ is a checkpoint lamkit eval loads; its policy scores what the evaluation said (same seeds, deterministic).
  const ev = await runEval({ checkpoint: join(dir, 'best'), episodes: '3', seed: String(best.seed) });
  assert.equal(ev.meanReturn, best.meanReturn);
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: join(root, 'e2'), evalEpisodes: '3' })), { message: /^lamkit train --eval-episodes: expected it together with --eval-every/ });
});

test('without --out a run gets a CleanRL-style directory runs/<env>__<algo>__<seed>__<time>', async () => {
  const cwd = process.cwd();
  const here = join(root, 'auto');
  mkdirSync(here);
  process.chdir(here);
  try {
    const o = await runTrain(flags({ env: 'CartPole-v1', seed: '7', totalSteps: '128', numEnvs: '4', config: small, progress: false }));
    assert.match(o.outDir, /[/\\]runs[/\\]CartPole-v1__ppo__7__\d{10}$/);
    assert.ok(existsSync(join(o.outDir, 'checkpoint/checkpoint.json')));
    assert.match(o.resumeCommand, /^lamkit train --resume runs[/\\]CartPole-v1__ppo__7__\d{10}$/);
  } finally {
    process.chdir(cwd);
  }
});

test('an unexpected error prints one line and where the full report was written', () => {
  const dir = join(root, 'reports');
  mkdirSync(dir);
  const err = new TypeError('boom\nsecond line', { cause: new Error('root cause') });
  const line = reportUnexpected(err, ['train', '--env', 'X'], dir);
  const path = /full report in (\S+);/.exec(line)?.[1] as string;
  assert.equal(line, `lamkit: unexpected error: TypeError: boom (full report in ${path}; please include it when reporting a bug)`);
  const report = readFileSync(path, 'utf8');
  assert.match(report, /^lamkit train --env X\n/);
  assert.match(report, /TypeError: boom\nsecond line\n    at /);
  assert.match(report, /Caused by:\nError: root cause/);
});

test('--env-kwargs makes the training envs with task options, keeps them in the checkpoint for --resume; evaluations run the task as registered unless lamkit eval --env-kwargs', async () => {
  const dir = join(root, 'kwargs');
  const lines: string[] = [];
  const sutton = '{"suttonBartoReward": true}';
  await runTrain(flags({ env: 'CartPole-v1', seed: '6', totalSteps: '1024', numEnvs: '4', out: dir, config: small, progress: false, envKwargs: sutton, evalEvery: '1024', evalEpisodes: '2' }), { log: (l) => lines.push(l) });
  assert.ok(lines.includes('lamkit train: training envs made with {"suttonBartoReward":true}; evaluations run the task as registered'), lines.join('\n'));
  const returns = (): number[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'charts/episodic_return' in r).map((r) => r['charts/episodic_return'] as number);
  // Sutton & Barto's reward: 0 per step, -1 when the pole falls; CartPole-v1 as registered pays +1 per step.
  const trained = returns();
  assert.ok(trained.length > 10 && trained.every((r) => r === -1 || r === 0), `training returns ${trained.slice(0, 8)}`);
  const evalRow = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((r) => 'eval/mean_return' in r);
  assert.ok(evalRow['eval/mean_return'] >= 8, 'the evaluation runs CartPole-v1 as registered');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoint/checkpoint.json'), 'utf8')).envKwargs, { suttonBartoReward: true });
  // lamkit eval scores the task as registered, or the variant with --env-kwargs.
  assert.ok((await runEval({ checkpoint: dir, episodes: '2', seed: '0' })).meanReturn >= 8);
  assert.ok([-1, 0].includes((await runEval({ checkpoint: dir, episodes: '2', seed: '0', envKwargs: sutton })).returns[0]));
  await assert.rejects(runEval({ checkpoint: dir, episodes: '2', seed: '0', envKwargs: '{"x":' }), { message: /^lamkit eval --env-kwargs: expected valid JSON/ });
  // A resumed run keeps them without the flag; a different value is refused.
  await runTrain(flags({ resume: dir, totalSteps: '2048', progress: false }));
  assert.ok(returns().every((r) => r === -1 || r === 0));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoint/checkpoint.json'), 'utf8')).envKwargs, { suttonBartoReward: true });
  await assert.rejects(runTrain(flags({ resume: dir, totalSteps: '4096', envKwargs: '{}' })), {
    message: 'lamkit train --env-kwargs: expected "{\\"suttonBartoReward\\":true}" (the value of the run being resumed) or no flag, got "{}". A resumed run keeps its settings; only --total-steps may change.',
  });
  // Bad input: not JSON, not an object, an option the task does not have (before anything is written), with robots.
  const fresh = join(root, 'kwargs-never');
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: fresh, envKwargs: '{"a":' })), { name: 'InvalidArgument', message: /^lamkit train --env-kwargs: expected valid JSON, got/ });
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: fresh, envKwargs: '[1]' })), { message: `lamkit train --env-kwargs: expected inline JSON object or the path of a JSON file, got "[1]" (no such file). Pass e.g. --env-kwargs '{"rewardSuccessWeight":1}'.` });
  const list = join(root, 'kwargs.json');
  writeFileSync(list, '[1]');
  await assert.rejects(runTrain(flags({ env: 'CartPole-v1', out: fresh, envKwargs: list })), { message: /^lamkit train --env-kwargs: expected a JSON object of config fields, got \[1\]\./ });
  await assert.rejects(runTrain(flags({ env: 'ArmPush-v0', out: fresh, envKwargs: '{"rewardSucessWeight": 1}' })), {
    name: 'InvalidArgument',
    message: /^ArmPush-v0 options: expected keys among rewardDistWeight, .*rewardSuccessWeight.*, got rewardSucessWeight\. Check the spelling/,
  });
  assert.ok(!existsSync(fresh), 'nothing written for bad task options');
  await assert.rejects(runTrain(flags({ robots: '1', out: fresh, envKwargs: sutton })), { message: /^lamkit train --env-kwargs: expected no --env-kwargs with --robots or --broker/ });
});
