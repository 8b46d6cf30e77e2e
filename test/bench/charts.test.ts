import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { renderVegaLiteSvg, renderVegaLiteSvgAsync, loadVega } from '../../src/bench/vega-svg.js';
import { learningCurveSpec, learningCurvesSpec, movingAverage } from '../../src/bench/charts/learning-curve-chart.js';
import { learningCurveSvg } from '../../src/run/learning-curve-svg.js';

before(() => loadVega());

const points = Array.from({ length: 60 }, (_, i) => ({ step: 100 * (i + 1), value: (i % 7) * 10 + i }));

test('moving average: window 3 by hand', () => {
  assert.deepEqual(movingAverage([3, 6, 9, 12], 3), [3, 4.5, 6, 9]);
});

test('renderVegaLiteSvg (synchronous) draws exactly what vega View.toSVG() draws', async () => {
  const specs = [
    learningCurveSpec(points, { title: 'CartPole-v1 - ppo (seed 1)' }),
    learningCurveSpec([], { title: 'empty' }),
    learningCurvesSpec([
      { label: 'ppo', envId: 'CartPole-v1', seed: 1, points },
      { label: 'ppo', envId: 'CartPole-v1', seed: 2, points: points.slice(5) },
      { label: 'ppo', envId: 'Pendulum-v1', seed: 1, points },
    ]),
  ];
  for (const spec of specs) assert.equal(renderVegaLiteSvg(spec), await renderVegaLiteSvgAsync(spec));
});

test('learningCurveSvg: a standalone SVG with the title, both lines and axis titles; empty runs say so', () => {
  const svg = learningCurveSvg(points, { title: 'Test-v0 - ppo (seed 3)' });
  assert.match(svg, /^<svg [^>]*width="\d+" height="\d+"[^>]*>[\s\S]*<\/svg>\n$/);
  assert.match(svg, /Test-v0 - ppo \(seed 3\)/);
  assert.match(svg, /env steps/);
  assert.match(svg, /episodic return \(mean of 20 in bold\)/);
  assert.equal((svg.match(/<path d="M[^"]*"[^>]*stroke="#9ecae1"/g) ?? []).length, 1, 'thin per-episode line');
  assert.equal((svg.match(/<path d="M[^"]*"[^>]*stroke="#08519c"/g) ?? []).length, 1, 'bold moving-average line');
  assert.match(learningCurveSvg([], { title: 'none' }), /no finished episodes/);
});
