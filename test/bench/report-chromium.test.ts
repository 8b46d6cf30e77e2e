import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarizeBench } from '../../src/bench/summarize-bench.js';
import { writeBenchReport } from '../../src/bench/bench-report.js';
import { loadVega } from '../../src/bench/vega-svg.js';
import type { EvaluationRun } from '../../src/bench/evaluate-job.js';
import { acquireBrowser, releaseBrowser } from '../../sim/render/shared-browser.js';
import { chromiumSkip } from '../helpers/chromium-gate.js';

/** A bench of 4 policies on 2 tasks (one with an expert), with learning curves: every chart kind appears. */
function syntheticResults() {
  const runs: EvaluationRun[] = [];
  const add = (policy: string, envId: string, base: number) => {
    for (let seed = 0; seed < 5; seed++) {
      const returns = [0, 1, 2].map((k) => base + ((seed * 7 + k * 3) % 5));
      runs.push({ index: runs.length, policy, source: policy, envId, seed, episodes: 3, deterministic: true, returns, lengths: [50, 50, 50], successes: [base > 0, true, false], steps: 150, wallSeconds: 0.1, aborted: false, error: null });
    }
  };
  add('a', 'CartPole-v1', 200);
  add('b', 'CartPole-v1', 300);
  add('a', 'ArmReach-v0', -8);
  add('b', 'ArmReach-v0', -5);
  add('random', 'ArmReach-v0', -15);
  add('expert', 'ArmReach-v0', -2);
  const curve = (label: string, seed: number) => ({ label, envId: 'CartPole-v1', seed, points: Array.from({ length: 80 }, (_, i) => ({ step: 500 * i, value: 10 + 3 * i + seed })) });
  return summarizeBench({
    createdAt: '2026-12-01T00:00:00Z',
    command: 'lamkit bench --policies a b --envs CartPole-v1 ArmReach-v0',
    machine: { cpuModel: 'test', cpus: 2, node: process.version, platform: 'test', loadAvg1m: [0.5, 0.6] },
    settings: { episodes: 3, seeds: [0, 1, 2, 3, 4], episodeSeedStride: 10000, deterministic: true, workers: 2, bootstrap: { reps: 300, profileReps: 100, confidence: 0.95, seed: 0 }, latencyCalls: 0 },
    interrupted: false,
    tasks: [{ envId: 'CartPole-v1', hasExpert: false }, { envId: 'ArmReach-v0', hasExpert: true }],
    policies: [
      { label: 'a', role: 'policy', listed: true, sources: [] },
      { label: 'b', role: 'policy', listed: true, sources: [] },
      { label: 'random', role: 'random', listed: false, sources: [] },
      { label: 'expert', role: 'expert', listed: false, sources: [] },
    ],
    runs,
    training: [{ algo: 'ppo', envId: 'CartPole-v1', seed: 1, outDir: 'runs/x', globalStep: 40000, wallSeconds: 4, stepsPerSecond: 10000, finalMeanReturn20: 480 }],
    curves: [curve('a', 1), curve('a', 2), curve('b', 1)],
    failures: [],
  });
}

test('report.html renders every chart in headless Chromium (fails under CI=true when Chromium is missing)', { skip: chromiumSkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-report-'));
  const browser = await acquireBrowser();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  try {
    await loadVega();
    const files = writeBenchReport(dir, syntheticResults());
    const names = ['task-iqm', 'return-distribution', 'normalized-iqm', 'performance-profile', 'probability-of-improvement', 'learning-curves'];
    assert.deepEqual(files.figures, names.map((n) => `figures/${n}.svg`));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    const charts = await page.evaluate(() =>
      Array.from(document.querySelectorAll('figure[data-chart]')).map((fig) => {
        const svg = fig.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        // Drawn marks: paths/rects/lines/text inside Vega mark groups whose laid-out box is not empty.
        const marks = Array.from(svg?.querySelectorAll('.role-mark path, .role-mark line, .role-mark rect, .role-mark text') ?? []).filter((el) => {
          const b = (el as SVGGraphicsElement).getBBox();
          return b.width > 0 || b.height > 0;
        });
        const labels = Array.from(svg?.querySelectorAll('text') ?? []).map((t) => t.textContent ?? '');
        return { name: fig.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks: marks.length, labels };
      }),
    );
    assert.deepEqual(charts.map((c) => c.name), names);
    for (const c of charts) {
      assert.ok(c.width > 200 && c.height > 50, `${c.name}: laid out ${c.width}x${c.height}`);
      assert.ok(c.marks >= 2, `${c.name}: ${c.marks} drawn marks`);
    }
    const byName = Object.fromEntries(charts.map((c) => [c.name, c]));
    assert.ok(byName['task-iqm'].labels.includes('CartPole-v1') && byName['task-iqm'].labels.includes('ArmReach-v0'), 'one panel per task');
    assert.ok(byName['probability-of-improvement'].labels.includes('P(a > b)'));
    assert.ok(byName['performance-profile'].labels.includes('all tasks (normalized score)'));
    assert.deepEqual(errors, []);
    const tables = await page.evaluate(() => Array.from(document.querySelectorAll('table')).map((t) => t.rows.length));
    assert.deepEqual(tables, [1 + 6, 1 + 4, 1 + 1, 1 + 1], 'per task (6 rows), normalized (4 policies), improvement (a vs b), training');
  } finally {
    await page.close();
    await releaseBrowser();
    rmSync(dir, { recursive: true, force: true });
  }
});
