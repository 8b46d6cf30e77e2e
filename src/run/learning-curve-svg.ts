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
 * ticks and labels. No dependencies; the caller writes the file.
 */
export function learningCurveSvg(points: readonly CurvePoint[], options: LearningCurveOptions): string {
  const W = options.widthPx ?? 720;
  const H = options.heightPx ?? 400;
  const m = { left: 64, right: 20, top: 36, bottom: 48 };
  const window = options.window ?? 20;
  const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`;
  if (points.length === 0) {
    return `${head}\n<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no finished episodes</text>\n</svg>\n`;
  }
  const xs = points.map((p) => p.step);
  const ys = points.map((p) => p.value);
  const xMax = Math.max(1, ...xs);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax - yMin < 1e-9) {
    yMin -= 1;
    yMax += 1;
  }
  const px = (x: number): number => m.left + (x / xMax) * (W - m.left - m.right);
  const py = (y: number): number => H - m.bottom - ((y - yMin) / (yMax - yMin)) * (H - m.top - m.bottom);
  const path = (pts: Array<[number, number]>): string => pts.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
  const avg: Array<[number, number]> = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += ys[i];
    if (i >= window) sum -= ys[i - window];
    avg.push([xs[i], sum / Math.min(i + 1, window)]);
  }
  const ticks: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const x = (xMax * k) / 5;
    const y = yMin + ((yMax - yMin) * k) / 5;
    ticks.push(`<line x1="${px(x)}" y1="${H - m.bottom}" x2="${px(x)}" y2="${H - m.bottom + 4}" stroke="black"/><text x="${px(x)}" y="${H - m.bottom + 16}" text-anchor="middle">${fmt(x)}</text>`);
    ticks.push(`<line x1="${m.left - 4}" y1="${py(y)}" x2="${W - m.right}" y2="${py(y)}" stroke="#e5e5e5"/><text x="${m.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  return `${head}
${ticks.join('\n')}
<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="black"/>
<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="black"/>
<path d="${path(xs.map((x, i) => [x, ys[i]]))}" fill="none" stroke="#9ecae1" stroke-width="1"/>
<path d="${path(avg)}" fill="none" stroke="#08519c" stroke-width="2.5"/>
<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle">env steps</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${esc(options.yLabel ?? 'episodic return')} (mean of ${window} in bold)</text>
</svg>
`;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(a < 10 ? 2 : 0)}`;
}
