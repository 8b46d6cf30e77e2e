import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `npm pack` needs from the repository: the manifest, the sources tsc compiles, and the files that ship. */
const STAGED = ['package.json', 'package-lock.json', 'README.md', 'assets', 'docs', 'bin', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'src', 'envs', 'agents', 'sim'];

/**
 * The environment for child npm/node processes: the parent's, without what
 * an enclosing `npm test` exports about *this* package (`npm_package_*`,
 * `npm_lifecycle_*`, `npm_config_local_prefix`, ...), which would point a
 * nested npm at the repository, and without NODE_OPTIONS (no tsx loader).
 * The npm cache settings are kept: the install must read the cache `npm ci` filled.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!(k.toLowerCase().startsWith('npm_') && !keep.has(k.toLowerCase())) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  return env;
}

/**
 * Packs the working tree as `npm pack` would from a clean checkout: copies
 * the files above into `dir/stage` (so the build never touches the
 * repository's own dist/), links the repository's node_modules for the
 * compiler, and runs `npm pack`, whose `prepack` builds dist/. Returns the
 * tarball's path.
 */
export async function packRepository(root: string, dir: string): Promise<string> {
  const stage = join(dir, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const entry of STAGED) cpSync(join(root, entry), join(stage, entry), { recursive: true, filter: (src) => !/[\\/](node_modules|dist)([\\/]|$)/.test(src.slice(root.length)) });
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
  await run('npm', ['pack', '--pack-destination', dir], { cwd: stage, env: childEnv(), timeout: 180_000, maxBuffer: 64 << 20 });
  const tgz = readdirSync(dir).find((f) => /^lamkit-.*\.tgz$/.test(f));
  if (!tgz) throw new Error(`packRepository: expected npm pack to write lamkit-<version>.tgz into ${dir}, got ${readdirSync(dir).join(', ')}`);
  return join(dir, tgz);
}

/**
 * Installs the tarball into an empty project as a user would (`npm install
 * lamkit.tgz`), without devDependencies and offline. npm cannot resolve
 * version ranges offline without registry metadata, which `npm ci` does not
 * cache, so the project's lockfile is seeded with the repository lockfile's
 * production entries (exact versions and integrity hashes of the tarballs in
 * the cache); npm then adds lamkit itself from the tarball. Install scripts
 * are skipped (the optional tfjs-node-gpu would download libtensorflow).
 */
export async function installTarball(root: string, tarball: string, project: string): Promise<void> {
  mkdirSync(project, { recursive: true });
  const dependencies = { lamkit: `file:${tarball}` };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'lamkit-user', version: '1.0.0', private: true, type: 'module', dependencies }, null, 2));
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const packages: Record<string, unknown> = { '': { name: 'lamkit-user', version: '1.0.0', dependencies } };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'lamkit-user', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  try {
    await run('npm', ['install', '--offline', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, env: childEnv(), timeout: 240_000, maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`installTarball: expected npm install --offline to install lamkit's dependencies from the npm cache, got: ${(e.stderr ?? e.message).trim().split('\n').slice(-4).join(' | ')}. Run npm ci first (it fills the cache).`, { cause: err });
  }
  if (!existsSync(join(project, 'node_modules', 'lamkit', 'package.json'))) throw new Error(`installTarball: expected node_modules/lamkit in ${project}, got none`);
}

/** Runs a command to completion; resolves with its stdout (rejects with stderr on a non-zero exit). */
export async function runIn(cwd: string, file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    return (await run(file, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${[file, ...args].join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err });
  }
}

/** A long-running command (server) and what it printed so far. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output (stdout and stderr); rejects on exit or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGINT, then SIGKILL after 3 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts a long-running command (e.g. `lamkit serve`). */
export function start(cwd: string, file: string, args: string[]): Running {
  const child = spawn(file, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    text += String(d);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => text,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(text);
          if (m) done(() => resolve(m));
        };
        const done = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${[file, ...args].join(' ')}: expected output matching ${re} within ${timeoutMs} ms, got:\n${text}`))), timeoutMs);
        exited.then(() => setImmediate(() => done(() => reject(new Error(`${[file, ...args].join(' ')}: exited (code ${child.exitCode}) before printing ${re}:\n${text}`)))));
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
