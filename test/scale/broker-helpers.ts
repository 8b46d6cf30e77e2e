import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findNatsServer } from '../../agents/scale/local-nats-server.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `skip` option for tests that need a real nats-server: run when it is
 * found, and always under `CI=true`, where a missing server must fail the
 * test (LocalNatsServer.start throws, naming the apt package) rather than
 * skip it; on a developer machine without it, the reason to skip.
 */
export function natsSkip(): string | false {
  if (findNatsServer() || process.env.CI === 'true') return false;
  return 'nats-server not found (PATH, /usr/sbin or $LAMKIT_NATS_SERVER): apt-get install -y nats-server to run the scale-out tests (CI=true makes them fail instead)';
}

/** A `lamkit` CLI process (closed at the end of the file even if the test fails). */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `lamkit <args>` in its own process (real signals: SIGKILL is a crash). */
export function lamkit(args: string[], env: NodeJS.ProcessEnv = process.env): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env });
  closeAtEnd(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `published N rollouts` from a worker's last line. */
export function publishedCount(stdout: string): number {
  const m = /published (\d+) rollouts/.exec(stdout);
  if (!m) throw new Error(`no 'published N rollouts' line in:\n${stdout}`);
  return Number(m[1]);
}

/** The complete rows of a run's metrics.jsonl (a line being written is left out). */
export function metricRows(outDir: string): Array<Record<string, number>> {
  const lines = readFileSync(`${outDir}/metrics.jsonl`, 'utf8').split('\n');
  lines.pop(); // after the last newline: '' or a partial row
  return lines.map((l) => JSON.parse(l) as Record<string, number>);
}

/** Best mean of 20 consecutive episode returns, and the mean of the first 20. */
export function returnWindows(rows: Array<Record<string, number>>): { best20: number; first20: number } {
  const r = rows.filter((x) => x['charts/episodic_return'] !== undefined).map((x) => x['charts/episodic_return']);
  let best20 = -Infinity;
  for (let i = 20; i <= r.length; i++) best20 = Math.max(best20, r.slice(i - 20, i).reduce((a, b) => a + b, 0) / 20);
  return { best20, first20: r.slice(0, 20).reduce((a, b) => a + b, 0) / Math.min(20, r.length) };
}
