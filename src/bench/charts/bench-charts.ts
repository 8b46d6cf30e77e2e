import type { VegaLiteSpec } from '../vega-svg.js';
import type { BenchResults } from '../bench-results.js';
import { CHART_CONFIG, learningCurvesSpec } from './learning-curve-chart.js';
import { runScore } from '../summarize-bench.js';

/** A named chart of the bench report. */
export interface BenchChart {
  /** File name stem under `figures/` and the figure's `data-chart` in report.html. */
  name: string;
  title: string;
  /** What the reader should look at, printed under the chart. */
  caption: string;
  spec: VegaLiteSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One colour per policy, in report order, the same in every chart. */
function colorOf(results: BenchResults, title = 'policy'): Record<string, unknown> {
  return { field: 'policy', type: 'nominal', title, scale: { domain: results.policies.map((p) => p.label), scheme: 'tableau10' } };
}

/**
 * The charts of a bench report, drawn from `results.json` alone: per-task
 * IQM bars with intervals, return distributions, normalized IQM across
 * tasks (when any task has an expert), performance profiles, probability
 * of improvement (when two or more policies share a task), learning curves
 * (when training metrics were given).
 */
export function benchCharts(results: BenchResults): BenchChart[] {
  const charts: BenchChart[] = [];
  const conf = `${Math.round(results.settings.bootstrap.confidence * 100)}%`;
  const base = { $schema: SCHEMA, background: 'white', config: CHART_CONFIG } as const;
  const policies = results.policies.map((p) => p.label);

  if (results.results.length > 0) {
    charts.push({
      name: 'task-iqm',
      title: 'Return per task: IQM of run scores',
      caption: `Bars: interquartile mean of the run scores (one per seed: the mean return of its episodes); lines: ${conf} stratified bootstrap interval.`,
      spec: {
        ...base,
        data: { values: results.results.map((r) => ({ task: r.envId, policy: r.policy, iqm: r.iqm.estimate, lower: r.iqm.lower, upper: r.iqm.upper })) },
        facet: { field: 'task', type: 'nominal', title: null, sort: results.tasks.map((t) => t.envId) },
        columns: 3,
        resolve: { scale: { x: 'independent', y: 'independent' } },
        spec: {
          width: { step: 36 },
          height: 200,
          layer: [
            { mark: 'bar', encoding: { x: { field: 'policy', type: 'nominal', sort: policies, title: null, axis: { labelAngle: -30, labelLimit: 120 } }, y: { field: 'iqm', type: 'quantitative', title: 'IQM return' }, color: colorOf(results) } },
            { mark: { type: 'rule', strokeWidth: 2, color: 'black' }, encoding: { x: { field: 'policy', type: 'nominal', sort: policies }, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } } },
          ],
        },
      } as VegaLiteSpec,
    });
    const episodes: Array<Record<string, unknown>> = [];
    for (const run of results.runs) for (const ret of run.returns) episodes.push({ task: run.envId, policy: run.policy, return: ret });
    charts.push({
      name: 'return-distribution',
      title: 'Distribution of episode returns',
      caption: 'Box: quartiles and median of every episode of every run; whiskers: min and max.',
      spec: {
        ...base,
        data: { values: episodes },
        facet: { field: 'task', type: 'nominal', title: null, sort: results.tasks.map((t) => t.envId) },
        columns: 3,
        resolve: { scale: { x: 'independent', y: 'independent' } },
        spec: {
          width: { step: 36 },
          height: 200,
          mark: { type: 'boxplot', extent: 'min-max' },
          encoding: { x: { field: 'policy', type: 'nominal', sort: policies, title: null, axis: { labelAngle: -30, labelLimit: 120 } }, y: { field: 'return', type: 'quantitative', title: 'episode return', scale: { zero: false } }, color: colorOf(results) },
        },
      } as VegaLiteSpec,
    });
  }

  if (results.aggregates.length > 0) {
    charts.push({
      name: 'normalized-iqm',
      title: 'Normalized IQM across tasks (random 0, expert 1)',
      caption: `IQM of the normalized run scores of every task with a scripted expert (${results.tasks.filter((t) => t.hasExpert).map((t) => t.envId).join(', ')}), with its ${conf} stratified bootstrap interval.`,
      spec: {
        ...base,
        width: 420,
        height: { step: 28 },
        data: { values: results.aggregates.map((a) => ({ policy: a.policy, iqm: a.normalizedIqm.estimate, lower: a.normalizedIqm.lower, upper: a.normalizedIqm.upper })) },
        layer: [
          { mark: { type: 'rule', strokeWidth: 6, opacity: 0.5 }, encoding: { y: { field: 'policy', type: 'nominal', sort: policies, title: null }, x: { field: 'lower', type: 'quantitative', title: 'normalized IQM' }, x2: { field: 'upper' }, color: colorOf(results) } },
          { mark: { type: 'tick', thickness: 2, size: 20, color: 'black' }, encoding: { y: { field: 'policy', type: 'nominal', sort: policies }, x: { field: 'iqm', type: 'quantitative' } } },
        ],
      } as VegaLiteSpec,
    });
  }

  if (results.profiles.length > 0) {
    const rows: Array<Record<string, unknown>> = [];
    for (const p of results.profiles) {
      for (const c of p.curves) p.taus.forEach((tau, i) => rows.push({ scope: p.scope === 'normalized' ? 'all tasks (normalized score)' : p.scope, tau, policy: c.policy, fraction: c.fraction[i], lower: c.lower[i], upper: c.upper[i] }));
    }
    charts.push({
      name: 'performance-profile',
      title: 'Performance profiles',
      caption: `Fraction of runs whose score exceeds each threshold (higher is better; a curve above another dominates it), with ${conf} bootstrap bands.`,
      spec: {
        ...base,
        data: { values: rows },
        facet: { field: 'scope', type: 'nominal', title: null, sort: [...results.tasks.map((t) => t.envId), 'all tasks (normalized score)'] },
        columns: 3,
        resolve: { scale: { x: 'independent' } },
        spec: {
          width: 260,
          height: 180,
          layer: [
            { mark: { type: 'area', opacity: 0.2, interpolate: 'step-after' }, encoding: { x: { field: 'tau', type: 'quantitative', title: 'score threshold' }, y: { field: 'lower', type: 'quantitative', title: 'fraction of runs > threshold', scale: { domain: [0, 1] } }, y2: { field: 'upper' }, color: colorOf(results) } },
            { mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 }, encoding: { x: { field: 'tau', type: 'quantitative' }, y: { field: 'fraction', type: 'quantitative' }, color: colorOf(results) } },
          ],
        },
      } as VegaLiteSpec,
    });
  }

  if (results.improvement.length > 0) {
    charts.push({
      name: 'probability-of-improvement',
      title: 'Probability of improvement',
      caption: `P(X > Y): the chance that a run of X scores above a run of Y on a task, averaged over the tasks both ran, with its ${conf} bootstrap interval. 0.5: no difference.`,
      spec: {
        ...base,
        width: 420,
        height: { step: 28 },
        data: { values: results.improvement.map((i) => ({ pair: `P(${i.x} > ${i.y})`, policy: i.x, p: i.probability.estimate, lower: i.probability.lower, upper: i.probability.upper })) },
        layer: [
          { mark: { type: 'rule', strokeWidth: 6, opacity: 0.5 }, encoding: { y: { field: 'pair', type: 'nominal', title: null, sort: null }, x: { field: 'lower', type: 'quantitative', title: 'probability of improvement', scale: { domain: [0, 1] } }, x2: { field: 'upper' }, color: colorOf(results, 'X') } },
          { mark: { type: 'tick', thickness: 2, size: 20, color: 'black' }, encoding: { y: { field: 'pair', type: 'nominal', sort: null }, x: { field: 'p', type: 'quantitative' } } },
          { data: { values: [{ half: 0.5 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { field: 'half', type: 'quantitative' } } },
        ],
      } as VegaLiteSpec,
    });
  }

  if (results.curves.length > 0) {
    charts.push({
      name: 'learning-curves',
      title: 'Learning curves',
      caption: 'Mean return of the last 20 training episodes (stochastic policy) over env steps, one line per training seed, from each run\'s metrics.jsonl.',
      spec: learningCurvesSpec(results.curves),
    });
  }
  return charts;
}

/** Run scores of one policy on one task (what the intervals resample), for tables. */
export function scoresOf(results: BenchResults, policy: string, envId: string): number[] {
  return results.runs.filter((r) => r.policy === policy && r.envId === envId).map(runScore).filter((s): s is number => s !== null);
}
