// Opt-in, for trying (issue 9, suite time): runs the test files as JavaScript
// transpiled once, instead of through tsx in every test process.
//
//   node scripts/test-js.mjs                       # every test/**/*.test.ts
//   node scripts/test-js.mjs test/cli test/core/x  # some files or folders
//
// Why: tsx costs ~0.55 s of CPU to start each process and about doubles module
// loading (measured in docs/benchmarks.md, Test suite); the suite starts ~125
// test processes plus their worker threads. This copies the working tree's
// files (tracked and untracked, not ignored) to .lamkit-tmp/test-js, lets
// esbuild transpile every .ts beside it as .js (~2 s, the same transform tsx
// applies, with the project's tsconfig), links node_modules, and runs
// `node --test` on the .test.js files there with npm test's flags. The code
// already runs from compiled JavaScript (its workers pick the .js entries, as
// in dist/); CLI processes that tests spawn with `--import tsx` still find
// their .ts sources. Type checking stays `tsc --noEmit`, as in npm test.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import ts_ from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const mirror = join(root, '.lamkit-tmp', 'test-js');
const t0 = performance.now();

const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && existsSync(join(root, f)) && statSync(join(root, f)).isFile());
const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const taken = new Set(files);
const clash = ts.map((f) => f.replace(/\.ts$/, '.js')).filter((f) => taken.has(f));
if (clash.length > 0) {
  console.error(`scripts/test-js.mjs: expected no .js beside a .ts of the same name, got ${clash.join(', ')}. Rename one of them.`);
  process.exit(2);
}

rmSync(mirror, { recursive: true, force: true });
for (const f of files) {
  mkdirSync(dirname(join(mirror, f)), { recursive: true });
  cpSync(join(root, f), join(mirror, f));
}
symlinkSync(join(root, 'node_modules'), join(mirror, 'node_modules'), 'dir');
esbuild.buildSync({ entryPoints: ts.map((f) => join(mirror, f)), outdir: mirror, outbase: mirror, format: 'esm', platform: 'node', target: 'node20', tsconfig: join(mirror, 'tsconfig.json'), logLevel: 'error' });
// tsconfig `paths` ('lamkit' -> ./src/index.ts, ...), which tsx applies and plain Node does not (it would take
// package.json's exports into dist/): the transpiled files import the transpiled sources by relative path.
const { config } = ts_.readConfigFile(join(root, 'tsconfig.json'), ts_.sys.readFile);
const paths = Object.fromEntries(Object.entries(config.compilerOptions?.paths ?? {}).map(([k, [target]]) => [k, join(mirror, target.replace(/\.ts$/, '.js'))]));
for (const f of ts) {
  const out = join(mirror, f.replace(/\.ts$/, '.js'));
  const code = readFileSync(out, 'utf8');
  // Import specifiers only (TypeScript's scanner; code inside strings, e.g. a user's file a test writes, stays).
  // (`pos` is the opening quote in TypeScript 5's answer; the name follows it.)
  const at = (r) => [r.pos, r.pos + 1].find((p) => code.slice(p, p + r.fileName.length) === r.fileName && /["']/.test(code[p - 1]) && code[p + r.fileName.length] === code[p - 1]);
  const refs = ts_.preProcessFile(code, true, true).importedFiles.filter((r) => r.fileName in paths && at(r) !== undefined);
  let rewritten = code;
  for (const r of refs.sort((a, b) => b.pos - a.pos)) {
    const start = at(r);
    const rel = relative(dirname(out), paths[r.fileName]);
    rewritten = rewritten.slice(0, start) + (rel.startsWith('.') ? rel : `./${rel}`) + rewritten.slice(start + r.fileName.length);
  }
  if (rewritten !== code) writeFileSync(out, rewritten);
}
console.error(`scripts/test-js.mjs: ${files.length} files copied, ${ts.length} transpiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const wanted = process.argv.slice(2).map((p) => p.replace(/\/$/, ''));
const tests = ts
  .filter((f) => f.startsWith('test/') && f.endsWith('.test.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f === w || f === `${w}.test.ts` || f.startsWith(`${w}/`)))
  .sort()
  .map((f) => f.replace(/\.ts$/, '.js'));
const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=900000', '--test-force-exit', ...tests], { cwd: mirror, stdio: 'inherit' });
process.exit(run.status ?? 1);
