import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRecord } from '../../src/cli/commands/record.js';
import { runFinetune } from '../../src/cli/commands/finetune.js';

// `lamkit finetune` in its own process gets a real Ctrl-C (SIGINT) between two validations: it must stop within a
// step or two (not at the next validation, here 100,000 steps away), keep the best weights so far, and exit 130.
const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-finetune-signals-'));
const data = join(root, 'cartpole');
let child: ChildProcess | null = null;
before(async () => {
  await runRecord({ env: 'CartPole-v1', policy: 'random', episodes: '10', seed: '0', out: data, progress: false });
});
after(() => {
  child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const trainingRows = (dir: string): number => {
  if (!existsSync(join(dir, 'metrics.jsonl'))) return 0;
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('losses/bc_nll')).length;
};

test('lamkit finetune: Ctrl-C between validations stops within a few steps, saves the kept weights and exits 130', async () => {
  const out = join(root, 'run');
  const maxSteps = 100_000;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'finetune', '--data', data, '--out', out, '--max-steps', String(maxSteps), '--config', JSON.stringify({ evalEvery: maxSteps, patience: 100 }), '--no-progress'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  const t0 = performance.now();
  while (trainingRows(out) < 3) {
    if (child.exitCode !== null) assert.fail(`lamkit finetune exited (${child.exitCode}) before training\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    if (performance.now() - t0 > 120_000) assert.fail(`no training steps in metrics.jsonl within 120 s\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stepsAtSignal = trainingRows(out);
  child.kill('SIGINT');
  const sent = performance.now();
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), 60_000).unref());
  const result = await Promise.race([exited, timeout]);
  assert.ok(result, `lamkit finetune still running 60 s after Ctrl-C (${trainingRows(out)} training steps logged, ${stepsAtSignal} at the signal)\nstderr:\n${stderr}`);
  const seconds = (performance.now() - sent) / 1000;
  assert.equal(result.code, 130, `exit code ${result.code} (signal ${result.signal})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.match(stderr, /lamkit finetune: Ctrl-C: stopping after this step/);
  assert.match(stdout, /steps \(stopped by Ctrl-C\)/);
  const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoint/checkpoint.json'), 'utf8'));
  const steps = checkpoint.algo.state.globalStep as number;
  assert.ok(steps >= stepsAtSignal && steps < maxSteps, `checkpoint after ${steps} steps (${stepsAtSignal} logged at the signal)`);
  assert.ok(existsSync(join(out, 'report.json')), 'the test report is written');
  assert.ok(seconds < 60, `stopped ${seconds.toFixed(1)} s after the signal`);
});

test('lamkit finetune killed (SIGKILL) after a validation: --resume continues from that validation\'s snapshot and ends with the weights of an uninterrupted run', async () => {
  const out = join(root, 'killed');
  const args = ['--data', data, '--max-steps', '3000', '--seed', '2', '--policy-kind', 'mlp', '--config', JSON.stringify({ evalEvery: 500, patience: 100 })];
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'finetune', ...args, '--out', out, '--no-progress'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
  const t0 = performance.now();
  while (!existsSync(join(out, 'resume/checkpoint.json'))) {
    if (child.exitCode !== null) assert.fail(`lamkit finetune exited (${child.exitCode}) before its first snapshot\nstderr:\n${stderr}`);
    if (performance.now() - t0 > 120_000) assert.fail(`no snapshot within 120 s\nstderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(join(out, 'checkpoint')), 'killed before the end: no final checkpoint');
  const resumed = await runFinetune({ resume: out, progress: false });
  const whole = await runFinetune({ data, maxSteps: '3000', seed: '2', policyKind: 'mlp', config: JSON.stringify({ evalEvery: 500, patience: 100 }), out: join(root, 'whole'), progress: false });
  assert.deepEqual([resumed.steps, resumed.bestStep, resumed.bestValLoss], [whole.steps, whole.bestStep, whole.bestValLoss]);
  const bin = (dir: string): Buffer => readFileSync(join(dir, 'checkpoint/policy.bin'));
  assert.ok(bin(out).equals(bin(join(root, 'whole'))), 'bit for bit');
  assert.equal(trainingRows(out), 3000, 'metrics.jsonl cut back to the snapshot, then one row per step');
});
