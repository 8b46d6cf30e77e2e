import type { TopLevelSpec } from 'vega-lite';
import { BackendError } from '../core/errors.js';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');

/** Vega and Vega-Lite once loaded ({@link loadVega}): large modules, so nothing loads them at import time. */
let loaded: { vega: Vega; vl: VegaLite; quiet: { logger: never } } | null = null;

/**
 * Loads Vega and Vega-Lite (once; later calls return at once). Call it
 * before the synchronous renderers: `RunOutputs.finish` and the bench
 * report do. Importing lamkit never loads them (ARCHITECTURE.md: nothing
 * heavy at import time; vega's Node build also uses top-level await, which
 * a CommonJS-transpiled importer cannot load).
 */
export async function loadVega(): Promise<void> {
  if (loaded) return;
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  // Vega-Lite's compiler warns on stderr about facets with independent scales (our charts use them on purpose).
  loaded = { vega, vl, quiet: { logger: vega.logger(vega.None) as never } };
}

function modules(): NonNullable<typeof loaded> {
  if (!loaded) throw new BackendError('renderVegaLiteSvg: expected Vega to be loaded, got none. Call `await loadVega()` first (RunOutputs.finish and the bench report do).');
  return loaded;
}

/** A Vega-Lite specification (the `vega-lite` package's top-level type). */
export type VegaLiteSpec = TopLevelSpec;

/** The View internals the synchronous renderer reads (stable across vega 5-6; pinned by test/bench/charts.test.ts). */
interface ViewInternals {
  _pulse: unknown;
  _pending: unknown;
  _viewWidth: number;
  _viewHeight: number;
}

/** The part of vega-scenegraph's `SVGStringRenderer` used here. */
interface SvgStringRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number], scale: number): void;
  background(color: unknown): void;
  render(scene: unknown): void;
  svg(): string;
}

/**
 * Renders a Vega-Lite spec to a standalone SVG string, synchronously:
 * compiles it to Vega, evaluates the dataflow headless and draws the
 * scenegraph with Vega's own `SVGStringRenderer`: the same steps as
 * `await view.toSVG()` (test/bench/charts.test.ts checks the output is
 * identical), without awaiting, so writers such as `learningCurveSvg` stay
 * synchronous. Specs must carry their data inline (`data.values`); a spec
 * that loads data from a URL throws.
 *
 * @throws BackendError when the dataflow did not finish synchronously.
 */
export function renderVegaLiteSvg(spec: VegaLiteSpec): string {
  const { vega, vl, quiet } = modules();
  const view = new vega.View(vega.parse(vl.compile(spec, quiet).spec), { renderer: 'none' });
  try {
    view.run();
    const v = view as unknown as ViewInternals;
    if (v._pulse || v._pending) {
      throw new BackendError('renderVegaLiteSvg: expected the dataflow to finish synchronously, got a pending evaluation. Put the data inline (data.values) instead of loading it from a URL.');
    }
    const padding = view.padding() as { left: number; right: number; top: number; bottom: number };
    const origin = view.origin();
    const width = Math.max(0, v._viewWidth + padding.left + padding.right);
    const height = Math.max(0, v._viewHeight + padding.top + padding.bottom);
    // Exported by vega at runtime (vega-scenegraph) but missing from its type declarations.
    const { SVGStringRenderer } = vega as unknown as { SVGStringRenderer: new (loader: unknown) => SvgStringRenderer };
    const renderer = new SVGStringRenderer(view.loader());
    renderer.initialize(null, width, height, [padding.left + origin[0], padding.top + origin[1]], 1);
    renderer.background(view.background());
    renderer.render((view.scenegraph() as unknown as { root: unknown }).root);
    return renderer.svg() + '\n';
  } finally {
    view.finalize();
  }
}

/** The reference path: Vega's asynchronous `view.toSVG()` (tests compare {@link renderVegaLiteSvg} against it). */
export async function renderVegaLiteSvgAsync(spec: VegaLiteSpec): Promise<string> {
  await loadVega();
  const { vega, vl, quiet } = modules();
  const view = new vega.View(vega.parse(vl.compile(spec, quiet).spec), { renderer: 'none' });
  try {
    return (await view.toSVG()) + '\n';
  } finally {
    view.finalize();
  }
}

/** Compiles a Vega-Lite spec to a Vega spec (for embedding in an HTML report). */
export function compileVegaLite(spec: VegaLiteSpec): object {
  const { vl, quiet } = modules();
  return vl.compile(spec, quiet).spec;
}
