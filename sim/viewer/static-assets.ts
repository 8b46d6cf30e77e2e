import { readFile, stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file ready to send: bytes and MIME type. */
export interface StaticAsset {
  body: Buffer | string;
  contentType: string;
}

/**
 * URL prefixes of the pages' ES modules. The pages use no bundler: three.js's
 * ESM build is served from `node_modules` and mapped with an import map, and
 * lamkit's own browser modules are served from this package.
 */
export const VENDOR_THREE_PREFIX = '/vendor/three/';
export const LAMKIT_PREFIX = '/lamkit/';

/** Import map for the pages: bare `three` and `three/addons/...` to the vendored build. */
export const IMPORT_MAP = JSON.stringify({
  imports: {
    three: `${VENDOR_THREE_PREFIX}build/three.module.js`,
    'three/addons/': `${VENDOR_THREE_PREFIX}examples/jsm/`,
  },
});

/** Package folders (relative to the package root) the pages may load modules from. */
const LAMKIT_ALLOWED = ['sim/scene/', 'sim/viewer/page/', 'sim/render/page/', 'src/core/errors.'];
const THREE_ALLOWED = ['build/', 'examples/jsm/'];

const HERE = dirname(fileURLToPath(import.meta.url));
/** Package root: `sim/viewer/` is two levels down (also under `dist/` after a build). */
const PACKAGE_ROOT = join(HERE, '..', '..');
/** Running from the TypeScript sources (tsx): page modules are `.ts` files, type-stripped on request. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
/**
 * The development-only transpiler, next to this file in the sources. A URL
 * built at run time, not a string literal, so that bundlers of the built
 * package do not pull in `typescript` (a devDependency).
 */
const TRANSPILER_URL = new URL('./transpile-page-module.ts', import.meta.url);

/**
 * Serves the browser modules of the viewer and renderer pages.
 *
 * `/vendor/three/...` comes from the installed `three` package.
 * `/lamkit/<path>.js` is the compiled `.js` file of the installed package
 * (dist/); running from the sources (tsx), it is the `.ts` source
 * transpiled on first request with TypeScript's `transpileModule` (types
 * stripped, nothing bundled) and cached.
 * Only the allow-listed folders are reachable; anything else is `null` (404).
 */
export class StaticAssets {
  /** Shared by all instances: files do not change while a process runs, and transpiling costs ~0.1 s a file. */
  private static readonly cache = new Map<string, Promise<StaticAsset | null>>();
  private static threeRoot: string | undefined;

  /** The asset at a URL path (query string ignored), or `null` when not served. */
  async get(urlPath: string): Promise<StaticAsset | null> {
    const path = decodeURIComponent(urlPath.split('?')[0]);
    let asset = StaticAssets.cache.get(path);
    if (!asset) {
      asset = path.startsWith(VENDOR_THREE_PREFIX) ? this.three(path.slice(VENDOR_THREE_PREFIX.length)) : path.startsWith(LAMKIT_PREFIX) ? this.lamkit(path.slice(LAMKIT_PREFIX.length)) : Promise.resolve(null);
      StaticAssets.cache.set(path, asset);
      asset.then(
        (a) => a ?? StaticAssets.cache.delete(path),
        () => StaticAssets.cache.delete(path),
      );
    }
    return asset;
  }

  private async three(rel: string): Promise<StaticAsset | null> {
    if (!isSafe(rel, THREE_ALLOWED) || !rel.endsWith('.js')) return null;
    StaticAssets.threeRoot ??= join(dirname(fileURLToPath(import.meta.resolve('three'))), '..');
    const body = await readIfFile(join(StaticAssets.threeRoot, rel));
    return body === null ? null : { body, contentType: 'text/javascript; charset=utf-8' };
  }

  private async lamkit(rel: string): Promise<StaticAsset | null> {
    if (!isSafe(rel, LAMKIT_ALLOWED) || !rel.endsWith('.js')) return null;
    if (!FROM_SOURCE) {
      const built = await readIfFile(join(PACKAGE_ROOT, rel));
      return built === null ? null : { body: built, contentType: 'text/javascript; charset=utf-8' };
    }
    const source = await readIfFile(join(PACKAGE_ROOT, rel.slice(0, -3) + '.ts'));
    if (source === null) return null;
    const { transpilePageModule } = (await import(TRANSPILER_URL.href)) as { transpilePageModule: (source: string, fileName: string) => string };
    return { body: transpilePageModule(source.toString('utf8'), rel.slice(0, -3) + '.ts'), contentType: 'text/javascript; charset=utf-8' };
  }
}

function isSafe(rel: string, allowed: readonly string[]): boolean {
  const norm = normalize(rel).split(sep).join('/');
  return norm === rel && !norm.includes('..') && allowed.some((prefix) => norm.startsWith(prefix));
}

async function readIfFile(path: string): Promise<Buffer | null> {
  try {
    if (!(await stat(path)).isFile()) return null;
    return await readFile(path);
  } catch {
    return null;
  }
}
