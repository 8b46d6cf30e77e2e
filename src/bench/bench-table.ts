import type { BenchResults, PolicyTaskResult } from './bench-results.js';
import type { IntervalEstimate } from './stratified-bootstrap.js';

/** A number with 3 significant digits (more for large values), `-` for null/NaN. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  const a = Math.abs(x);
  if (a < 1e-9) return '0';
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 10 ** digits) return x.toFixed(0);
  if (a < 1e-3) return x.toExponential(1);
  return String(+x.toPrecision(digits));
}

/** `estimate [lower, upper]`. */
export function fmtInterval(i: IntervalEstimate | null, digits = 3): string {
  return i ? `${fmt(i.estimate, digits)} [${fmt(i.lower, digits)}, ${fmt(i.upper, digits)}]` : '-';
}

/** Column headers and cells of the per policy x task table (terminal, HTML and CSV share the order). */
export const RESULT_COLUMNS = ['task', 'policy', 'runs', 'episodes', 'return mean ± std', 'IQM [CI]', 'normalized IQM [CI]', 'success', 'length', 'env steps/s', 'act p50 / p99 (us)'] as const;

/** The cells of one result row, formatted. */
export function resultCells(r: PolicyTaskResult): string[] {
  return [
    r.envId,
    r.policy,
    String(r.runs),
    String(r.episodes),
    `${fmt(r.meanReturn)} ± ${fmt(r.stdReturn)}`,
    fmtInterval(r.iqm),
    fmtInterval(r.normalized),
    r.successRate === null ? '-' : `${(100 * r.successRate).toFixed(0)}%`,
    fmt(r.meanLength),
    fmt(r.stepsPerSecond),
    r.latencyUs ? `${fmt(r.latencyUs.p50)} / ${fmt(r.latencyUs.p99)}` : '-',
  ];
}

/** Cells of a probability-of-improvement row: the pair, the average with its interval, each task's value. */
export function improvementCells(i: BenchResults['improvement'][number]): string[] {
  return [`P(${i.x} > ${i.y})`, fmtInterval(i.probability, 2), i.tasks.map((t, k) => `${t} ${fmt(i.perTask?.[k], 2)}`).join(', ')];
}

/** A plain-text table with aligned columns. */
export function textTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * The terminal summary of a bench: the per policy x task table, the
 * normalized IQM across tasks, the probabilities of improvement and the
 * failures (each naming its file).
 */
export function formatBenchSummary(results: BenchResults): string {
  const conf = `${Math.round(results.settings.bootstrap.confidence * 100)}% CI`;
  const parts = [textTable(RESULT_COLUMNS.map((c) => c.replace('CI', conf)), results.results.map(resultCells))];
  if (results.aggregates.length > 0) {
    parts.push(textTable(['policy', `normalized IQM across tasks [${conf}]`, 'tasks'], results.aggregates.map((a) => [a.policy, fmtInterval(a.normalizedIqm), a.tasks.join(', ')])));
  }
  if (results.improvement.length > 0) {
    parts.push(textTable(['comparison', `probability [${conf}]`, 'per task'], results.improvement.map(improvementCells)));
  }
  if (results.training.length > 0) {
    parts.push(textTable(['training run', 'steps', 'wall s', 'SPS', 'final mean20'], results.training.map((t) => [`${t.algo} ${t.envId} seed ${t.seed}`, String(t.globalStep), t.wallSeconds.toFixed(1), fmt(t.stepsPerSecond), fmt(t.finalMeanReturn20)])));
  }
  for (const f of results.failures) parts.push(`FAILED ${f.policy} (${f.source})${f.envId ? ` on ${f.envId}` : ''}: ${f.error.name}: ${f.error.message}`);
  if (results.interrupted) parts.push('Interrupted (Ctrl-C): the figures cover the episodes finished before it.');
  return parts.join('\n\n') + '\n';
}
