import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `lamkit train` in its own process with the default (sync) vector env: the
// process gets real signals (Ctrl-C = SIGINT, kill -9 = SIGKILL).
const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lamkit-train-signals-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Updates of 4 x 256 = 1,024 steps: long enough (tens of ms or more) that a signal lands inside one. */
const config = JSON.stringify({ numSteps: 256, numMinibatches: 4, updateEpochs: 4 });
const BATCH = 4 * 256;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function lamkit(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `probe` every 20 ms until it returns a value; fails after `timeoutMs` with `what` and the child's output. */
async function until<T>(run: Run, probe: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (run.child.exitCode !== null || run.child.signalCode !== null) assert.fail(`lamkit exited (${run.child.exitCode ?? run.child.signalCode}) before ${what}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
    if (performance.now() - t0 > timeoutMs) assert.fail(`no ${what} within ${timeoutMs} ms\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readRows(dir: string): Array<Record<string, number>> {
  if (!existsSync(join(dir, 'metrics.jsonl'))) return [];
  const rows: Array<Record<string, number>> = [];
  for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
    try {
      rows.push(JSON.parse(line));
    } catch {
      // empty, or a line being written
    }
  }
  return rows;
}
const updateRows = (dir: string): number => readRows(dir).filter((r) => 'losses/approx_kl' in r).length;
const checkpointStep = (dir: string): number => JSON.parse(readFileSync(join(dir, 'checkpoint/checkpoint.json'), 'utf8')).algo.state.globalStep;

/** The run's metrics after a resume: global_step never goes back, and one update row per update. */
function assertWholeRun(dir: string, finalStep: number): void {
  const rows = readRows(dir);
  const steps = rows.map((r) => r.global_step);
  assert.ok(steps.every((s, i) => i === 0 || s >= steps[i - 1]), `global_step goes back in metrics.jsonl: ${steps.join(' ')}`);
  assert.equal(updateRows(dir), finalStep / BATCH, 'one update row per update, none repeated');
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.globalStep, finalStep);
  assert.equal(summary.episodes, rows.filter((r) => 'charts/episodic_return' in r).length, 'the summary covers the whole run');
}

test('Ctrl-C stops a sync-mode lamkit train within one update, saves, prints the resume command and exits 130; the progress line repeats while stderr is not a terminal; --resume continues', { timeout: 240_000 }, async () => {
  const out = join(root, 'sigint');
  const run = lamkit(['train', '--env', 'CartPole-v1', '--total-steps', '10000000', '--seed', '1', '--num-envs', '4', '--config', config, '--out', out]);
  try {
    // Not a terminal: cli-progress draws a line on a timer (every 5 s), which only fires when training yields to the event loop.
    await until(run, () => run.stderr().split('\n').filter((l) => l.startsWith('CartPole-v1 ppo [')).length >= 2, 90_000, 'a second progress line');
    const seen = await until(run, () => updateRows(out) || false, 60_000, 'an update in metrics.jsonl');
    run.child.kill('SIGINT');
    const sentAt = performance.now();
    const { code } = await run.exited;
    const stoppedIn = performance.now() - sentAt;
    assert.equal(code, 130, run.stderr());
    const stopped = checkpointStep(out);
    // The update in flight finishes (at most one more update row than were written when the signal went, plus one that may have landed in between).
    assert.ok(stopped / BATCH <= seen + 2, `stopped at update ${stopped / BATCH}, ${seen} were written when SIGINT was sent (${stoppedIn.toFixed(0)} ms before exit)`);
    assert.equal(updateRows(out), stopped / BATCH, 'the checkpoint holds the last update');
    assert.match(run.stderr(), new RegExp(`lamkit train: Ctrl-C: stopping after this update; the checkpoint follows \\(Ctrl-C again to exit at once\\); continue later with: lamkit train --resume ${out}\\n`));
    assert.match(run.stdout(), new RegExp(`lamkit train: stopped by Ctrl-C at step ${stopped}, checkpoint saved; continue with: lamkit train --resume ${out}\\n`));
    assert.ok(existsSync(join(out, 'summary.json')), 'the report is written');

    const resumed = lamkit(['train', '--resume', out, '--total-steps', String(stopped + 2 * BATCH), '--no-progress']);
    const r = await resumed.exited;
    assert.equal(r.code, 0, resumed.stderr());
    assert.match(resumed.stdout(), new RegExp(`lamkit train: resuming ${out} from step ${stopped} \\(its last checkpoint\\)`));
    assertWholeRun(out, stopped + 2 * BATCH);
  } finally {
    run.child.kill('SIGKILL');
  }
});

test('kill -9 after the first timed checkpoint: --resume continues from it and metrics.jsonl is cut back to its step', { timeout: 240_000 }, async () => {
  const out = join(root, 'sigkill');
  // A checkpoint every 0.01 minutes (0.6 s).
  const run = lamkit(['train', '--env', 'CartPole-v1', '--total-steps', '10000000', '--seed', '2', '--num-envs', '4', '--config', config, '--out', out, '--no-progress', '--checkpoint-minutes', '0.01']);
  let saved: number;
  try {
    saved = await until(run, () => existsSync(join(out, 'checkpoint/checkpoint.json')) && checkpointStep(out), 90_000, 'a periodic checkpoint');
    // Let the run go past it, so rows beyond the checkpoint are in metrics.jsonl.
    await until(run, () => readRows(out).some((r) => r.global_step > checkpointStep(out)), 60_000, 'rows past the checkpoint');
    run.child.kill('SIGKILL');
    const { signal } = await run.exited;
    assert.equal(signal, 'SIGKILL');
  } finally {
    run.child.kill('SIGKILL');
  }
  const last = checkpointStep(out);
  assert.ok(last >= saved && last % BATCH === 0);
  assert.ok(readRows(out).some((r) => r.global_step > last), 'the killed run wrote rows past its last checkpoint');
  const resumed = lamkit(['train', '--resume', out, '--total-steps', String(last + 2 * BATCH), '--no-progress']);
  const r = await resumed.exited;
  assert.equal(r.code, 0, resumed.stderr());
  assert.match(resumed.stdout(), new RegExp(`lamkit train: resuming ${out} from step ${last} \\(its last checkpoint\\); training to step ${last + 2 * BATCH}`));
  assertWholeRun(out, last + 2 * BATCH);
});
