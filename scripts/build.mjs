// `npm run build` (also run by `prepack`): compiles src, envs, agents and sim
// with tsconfig.build.json into dist/ (JavaScript + .d.ts, same layout as
// the sources), then copies the non-TypeScript files the runtime or the
// docs point at. dist/ is emptied first, so nothing stale (or emitted by a
// stray `tsc` with the development tsconfig, which includes test/) ships.
import { cpSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Files that are not TypeScript but ship: source path -> path under dist/. */
const ASSETS = [['src/bridge/examples', 'src/bridge/examples']];

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
for (const [from, to] of ASSETS) cpSync(new URL(`../${from}`, import.meta.url), new URL(`../dist/${to}`, import.meta.url), { recursive: true });

// The page of `lamkit view --in-browser`, bundled once here (esbuild is a
// devDependency): an installed lamkit serves this file without bundling.
const { bundleInBrowserLoop } = await import('../dist/src/cli/in-browser/in-browser-server.js');
const { writeFileSync } = await import('node:fs');
writeFileSync(new URL('../dist/src/cli/in-browser/in-browser-loop.bundle.js', import.meta.url), await bundleInBrowserLoop());
