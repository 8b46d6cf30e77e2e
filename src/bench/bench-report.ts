import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import type { BenchResults } from './bench-results.js';
import { benchCharts, type BenchChart } from './charts/bench-charts.js';
import { renderVegaLiteSvg } from './vega-svg.js';
import { RESULT_COLUMNS, resultCells, improvementCells, fmt, fmtInterval } from './bench-table.js';

/** Files written by {@link writeBenchReport}, relative to its directory. */
export interface BenchReportFiles {
  json: string;
  csv: string;
  html: string;
  /** `figures/<chart>.svg` (and the Vega-Lite spec beside each as `.vl.json`). */
  figures: string[];
}

/**
 * Writes the outputs of a bench into `outDir` (each file atomically):
 * `results.json` (the {@link BenchResults}, schema in docs/bench-results.md),
 * `results.csv` (one row per policy and task), `figures/*.svg` (standalone
 * charts for a README, with their Vega-Lite specs as `*.vl.json`) and
 * `report.html`, a self-contained page (inline SVG, no script, no network)
 * with the tables and charts.
 */
export function writeBenchReport(outDir: string, results: BenchResults): BenchReportFiles {
  mkdirSync(join(outDir, 'figures'), { recursive: true });
  writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  writeFileAtomic(join(outDir, 'results.csv'), benchCsv(results));
  const charts = benchCharts(results);
  const svgs = new Map<string, string>();
  const figures: string[] = [];
  for (const chart of charts) {
    const svg = renderVegaLiteSvg(chart.spec);
    svgs.set(chart.name, svg);
    writeFileAtomic(join(outDir, 'figures', `${chart.name}.svg`), svg);
    writeFileAtomic(join(outDir, 'figures', `${chart.name}.vl.json`), JSON.stringify(chart.spec) + '\n');
    figures.push(`figures/${chart.name}.svg`);
  }
  writeFileAtomic(join(outDir, 'report.html'), benchReportHtml(results, charts, svgs));
  return { json: 'results.json', csv: 'results.csv', html: 'report.html', figures };
}

/** Columns of `results.csv` (snake_case; empty cell = not available). */
export const CSV_COLUMNS = [
  'policy', 'env_id', 'runs', 'episodes', 'mean_return', 'std_return', 'iqm', 'iqm_lower', 'iqm_upper',
  'normalized_iqm', 'normalized_lower', 'normalized_upper', 'success_rate', 'mean_length', 'steps_per_second', 'latency_p50_us', 'latency_p99_us',
] as const;

/** `results.csv`: one row per policy and task, full precision. */
export function benchCsv(results: BenchResults): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = results.results.map((r) =>
    [r.policy, r.envId, r.runs, r.episodes, r.meanReturn, r.stdReturn, r.iqm.estimate, r.iqm.lower, r.iqm.upper, r.normalized?.estimate, r.normalized?.lower, r.normalized?.upper, r.successRate, r.meanLength, r.stepsPerSecond, r.latencyUs?.p50, r.latencyUs?.p99].map(cell).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);

function htmlTable(header: readonly string[], rows: readonly string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The self-contained HTML report. */
export function benchReportHtml(results: BenchResults, charts: readonly BenchChart[], svgs: ReadonlyMap<string, string>): string {
  const s = results.settings;
  const conf = `${Math.round(s.bootstrap.confidence * 100)}%`;
  const sections: string[] = [];
  if (results.failures.length > 0) {
    sections.push(`<section class="failures"><h2>Failures</h2><ul>${results.failures.map((f) => `<li><b>${esc(f.policy)}</b> (${esc(f.source)})${f.envId ? ` on ${esc(f.envId)}` : ''}: ${esc(f.error.name)}: ${esc(f.error.message)}</li>`).join('')}</ul></section>`);
  }
  if (results.interrupted) sections.push('<p class="warn">Interrupted (Ctrl-C): the figures cover the episodes finished before it.</p>');
  sections.push(`<section><h2>Per policy and task</h2>${htmlTable(RESULT_COLUMNS.map((c) => c.replace('CI', `${conf} CI`)), results.results.map(resultCells))}
<p class="note">Run score: the mean return of one seed's ${s.episodes} episodes. IQM: interquartile mean of the run scores (rliable); CI: stratified percentile bootstrap, ${s.bootstrap.reps} replications. Normalized: random 0, scripted expert 1 (tasks with an expert only). Steps/s: evaluation loop in one worker thread; latency: <code>policy.act</code> on one observation, alone in the main thread (${s.latencyCalls} calls).</p></section>`);
  if (results.aggregates.length > 0) {
    sections.push(`<section><h2>Across tasks (normalized)</h2>${htmlTable(['policy', `normalized IQM [${conf} CI]`, 'tasks'], results.aggregates.map((a) => [a.policy, fmtInterval(a.normalizedIqm), a.tasks.join(', ')]))}</section>`);
  }
  if (results.improvement.length > 0) {
    sections.push(`<section><h2>Probability of improvement</h2>${htmlTable(['comparison', `probability [${conf} CI]`, 'per task'], results.improvement.map(improvementCells))}</section>`);
  }
  if (results.training.length > 0) {
    sections.push(`<section><h2>Training runs</h2>${htmlTable(['algo', 'task', 'seed', 'env steps', 'wall s', 'SPS', 'final mean20', 'run'], results.training.map((t) => [t.algo, t.envId, String(t.seed), String(t.globalStep), t.wallSeconds.toFixed(1), fmt(t.stepsPerSecond), fmt(t.finalMeanReturn20), t.outDir]))}</section>`);
  }
  for (const c of charts) {
    sections.push(`<section><h2>${esc(c.title)}</h2><figure data-chart="${esc(c.name)}" role="img" aria-label="${esc(c.title)}">${svgs.get(c.name) ?? ''}<figcaption>${esc(c.caption)} <a href="figures/${esc(c.name)}.svg">SVG</a></figcaption></figure></section>`);
  }
  const m = results.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lamkit bench report</title>
<style>
body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:0.5em 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,td:nth-child(2){text-align:left}
figure{margin:0.5em 0;overflow-x:auto}figcaption{font-size:13px;color:#555}.note{font-size:13px;color:#555}
.failures{border-left:4px solid #c00;padding-left:1em}.warn{color:#a60}code{background:#f4f4f4;padding:0 3px}
</style></head><body>
<h1>lamkit bench</h1>
<p>${esc(results.createdAt)}${results.command ? ` &middot; <code>${esc(results.command)}</code>` : ''}<br>
${esc(m.cpuModel)} x${m.cpus}, ${esc(m.platform)}, Node ${esc(m.node)}, load average ${m.loadAvg1m[0].toFixed(2)} &rarr; ${m.loadAvg1m[1].toFixed(2)}<br>
${results.tasks.length} task(s), ${results.policies.length} polic${results.policies.length === 1 ? 'y' : 'ies'}, seeds ${esc(s.seeds.join(', '))}, ${s.episodes} episodes per run, ${s.deterministic ? 'deterministic' : 'stochastic'} actions, ${s.workers} worker(s). Data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>
${sections.join('\n')}
</body></html>
`;
}
