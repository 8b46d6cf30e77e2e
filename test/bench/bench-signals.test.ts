import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../../src/bench/bench-results.js';

/** Runs `lamkit bench` as a real process, sends SIGINT once `trigger` appears on stderr; resolves with the exit code and output. */
function benchUntilSignal(args: string[], trigger: RegExp): Promise<{ code: number | null; stderr: string; stopMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sentAt = 0;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sentAt && trigger.test(stderr)) {
        sentAt = performance.now();
        child.kill('SIGINT');
      }
    });
    child.stdout.resume();
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr, stopMs: sentAt ? performance.now() - sentAt : NaN }));
    setTimeout(() => child.kill('SIGKILL'), 120_000).unref();
  });
}

for (const workers of ['2', '0']) {
  test(`lamkit bench (workers ${workers}): Ctrl-C stops within an episode, writes the report of what finished, exits 130`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'lamkit-bench-sigint-'));
    try {
      // Pendulum episodes are 200 steps; 400 episodes x 4 seeds would take minutes.
      const r = await benchUntilSignal(['--policies', 'random', '--envs', 'Pendulum-v1', 'CartPole-v1', '--seeds', '0-3', '--episodes', '400', '--workers', workers, '--latency-calls', '0', '--bootstrap-reps', '200', '--out', join(out, 'b')], /\[1\/8\]/);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /lamkit bench: Ctrl-C: stopping within this episode; the report of what finished follows/);
      assert.ok(r.stopMs < 15_000, `stopped ${r.stopMs} ms after SIGINT`);
      const results = JSON.parse(readFileSync(join(out, 'b', 'results.json'), 'utf8')) as BenchResults;
      assert.equal(results.interrupted, true);
      assert.ok(results.runs.length >= 1 && results.runs.length < 8, `${results.runs.length} runs kept`);
      assert.ok(results.runs.some((run) => run.aborted), 'a run cut short is kept, marked aborted');
      assert.ok(existsSync(join(out, 'b', 'report.html')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
