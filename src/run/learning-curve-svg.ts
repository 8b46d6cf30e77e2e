import { renderVegaLiteSvg } from '../bench/vega-svg.js';
import { learningCurveSpec } from '../bench/charts/learning-curve-chart.js';

/** A point of a learning curve. */
export interface CurvePoint {
  step: number;
  value: number;
}

/** Options of {@link learningCurveSvg}. */
export interface LearningCurveOptions {
  title: string;
  /** Moving-average window for the bold line (default 20). */
  window?: number;
  widthPx?: number;
  heightPx?: number;
  yLabel?: string;
}

/**
 * Renders a learning curve as a standalone SVG: each episode's return as a
 * thin line, its moving average (window 20) as a bold line, with axes,
 * ticks and labels. Drawn by Vega-Lite (the same plotting code as the
 * `lamkit bench` report: src/bench/charts), synchronously; the caller
 * writes the file.
 */
export function learningCurveSvg(points: readonly CurvePoint[], options: LearningCurveOptions): string {
  return renderVegaLiteSvg(learningCurveSpec(points, options));
}
