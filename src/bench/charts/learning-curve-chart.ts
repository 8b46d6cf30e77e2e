import type { VegaLiteSpec } from '../vega-svg.js';

/** A point of a learning curve: a finished episode's return at the global env step it ended. */
export interface CurvePointLike {
  step: number;
  value: number;
}

/** Options of {@link learningCurveSpec}. */
export interface LearningCurveSpecOptions {
  title: string;
  /** Moving-average window of the bold line (default 20). */
  window?: number;
  widthPx?: number;
  heightPx?: number;
  /** Y axis label (default `episodic return`). */
  yLabel?: string;
}

/** Moving average of the last `window` values (fewer at the start), as the bold line shows it. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/**
 * Vega-Lite spec of one run's learning curve: each episode's return as a
 * thin line and its moving average (window 20) as a bold line, over env
 * steps. With no points, a chart that says "no finished episodes".
 */
export function learningCurveSpec(points: readonly CurvePointLike[], options: LearningCurveSpecOptions): VegaLiteSpec {
  const window = options.window ?? 20;
  const width = (options.widthPx ?? 720) - 100;
  const height = (options.heightPx ?? 400) - 90;
  const yTitle = `${options.yLabel ?? 'episodic return'} (mean of ${window} in bold)`;
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: options.title, width, height, background: 'white', config: CHART_CONFIG } as const;
  if (points.length === 0) {
    return { ...base, data: { values: [{ message: 'no finished episodes' }] }, mark: { type: 'text', fontSize: 14 }, encoding: { text: { field: 'message' } } };
  }
  const avg = movingAverage(points.map((p) => p.value), window);
  const values = points.map((p, i) => ({ step: p.step, value: p.value, mean: avg[i] }));
  const x = { field: 'step', type: 'quantitative', title: 'env steps', axis: { format: '~s' } } as const;
  return {
    ...base,
    data: { values },
    layer: [
      { mark: { type: 'line', strokeWidth: 1, color: '#9ecae1' }, encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } } } },
      { mark: { type: 'line', strokeWidth: 2.5, color: '#08519c' }, encoding: { x, y: { field: 'mean', type: 'quantitative' } } },
    ],
  };
}

/** One run's curve in a multi-run chart. */
export interface CurveSeries {
  /** Policy or algorithm label (the colour). */
  label: string;
  /** Task (the facet). */
  envId: string;
  /** Training seed (one line per seed). */
  seed: number | string;
  points: readonly CurvePointLike[];
}

/**
 * Learning curves of several runs: one small chart per task, the moving
 * average (window 20) of each run's episodic return over env steps, one
 * colour per label and one line per seed. Long runs are thinned to at most
 * `maxPoints` points per run (every k-th episode of the moving average).
 */
export function learningCurvesSpec(series: readonly CurveSeries[], options: { window?: number; maxPoints?: number; title?: string } = {}): VegaLiteSpec {
  const window = options.window ?? 20;
  const maxPoints = options.maxPoints ?? 400;
  const values: Array<Record<string, unknown>> = [];
  for (const s of series) {
    const avg = movingAverage(s.points.map((p) => p.value), window);
    const stride = Math.max(1, Math.ceil(s.points.length / maxPoints));
    for (let i = 0; i < s.points.length; i++) {
      if (i % stride !== 0 && i !== s.points.length - 1) continue;
      values.push({ task: s.envId, label: s.label, run: `${s.label} seed ${s.seed}`, step: s.points[i].step, mean: avg[i] });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: options.title } : {}),
    background: 'white',
    config: CHART_CONFIG,
    data: { values },
    facet: { field: 'task', type: 'nominal', title: null },
    columns: 3,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 300,
      height: 200,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'env steps', axis: { format: '~s' } },
        y: { field: 'mean', type: 'quantitative', title: `episodic return (mean of ${window})`, scale: { zero: false } },
        color: { field: 'label', type: 'nominal', title: 'policy' },
        detail: { field: 'run', type: 'nominal' },
      },
    },
  };
}

/** Shared look of lamkit's charts. */
export const CHART_CONFIG = { aria: false, font: 'sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } } as const;
