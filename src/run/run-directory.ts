import { mkdirSync, readdirSync, rmSync, statSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidArgument, formatError, describeValue } from '../core/errors.js';
import { writeFileAtomic } from '../data/atomic-write.js';
import type { MetricRow } from '../streams/metrics.js';

/**
 * What to do with a directory that already holds a run (any of {@link RUN_ENTRIES}):
 * - `new`: refuse it (a run directory is never overwritten or mixed by accident);
 *   a missing directory, or one without a run's files, is fine;
 * - `resume`: continue the run in it (`metrics.jsonl` is cut back to the checkpoint);
 * - `replace`: delete the previous run's files first (`--force`); other files stay.
 */
export type RunDirMode = 'new' | 'resume' | 'replace';

/**
 * The entries a run leaves in its directory (trainers, `RunOutputs`):
 * `replace` deletes these, and only these. `.prev` is the copy a crash
 * mid-save may leave beside a checkpoint (see `replaceDirAtomic`).
 */
export const RUN_ENTRIES = ['checkpoint', 'checkpoint.prev', 'best', 'best.prev', 'resume', 'resume.prev', 'metrics.jsonl', 'summary.json', 'config.json', 'learning-curve.svg'] as const;

/**
 * Checks and prepares a run directory: it must be a directory (or not exist
 * yet, then it is created with its parents); in `new` mode it must not hold
 * a run (none of {@link RUN_ENTRIES}; other files may be there); in
 * `replace` mode the previous run's {@link RUN_ENTRIES} are deleted. `where`
 * names the flag in errors (e.g. `lamkit train --out`).
 *
 * @throws InvalidArgument `where: expected a directory without a run in it, got "runs/x" (it holds checkpoint/, metrics.jsonl). Continue that run with --resume runs/x, replace it with --force, or pick another --out.`;
 *   also for a path that is a file, or a directory that cannot be created.
 */
export function prepareRunDir(outDir: string, mode: RunDirMode, where = 'prepareRunDir.outDir'): void {
  checkRunDir(outDir, mode, where);
  if (mode === 'replace') for (const e of RUN_ENTRIES) rmSync(join(outDir, e), { recursive: true, force: true });
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InvalidArgument(formatError(where, 'a directory that can be created', `${describeValue(outDir)} (${e.code ?? 'error'}: ${e.message})`, 'Pick a path under a writable directory'));
  }
}

/** {@link prepareRunDir}'s checks alone (nothing is created or deleted): call it early, before slow set-up. */
export function checkRunDir(outDir: string, mode: RunDirMode, where = 'prepareRunDir.outDir'): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) {
    throw new InvalidArgument(formatError(where, 'a directory', `${describeValue(outDir)} (an existing file)`, 'Pass a directory path, e.g. runs/cartpole'));
  }
  if (mode !== 'new') return;
  const runEntries: readonly string[] = RUN_ENTRIES;
  const entries = readdirSync(outDir, { withFileTypes: true })
    .filter((e) => runEntries.includes(e.name))
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
  if (entries.length === 0) return;
  const flag = where.split(' ').pop() ?? '--out';
  const shown = entries.length > 4 ? `${entries.slice(0, 4).join(', ')}, ...` : entries.join(', ');
  throw new InvalidArgument(
    formatError(where, 'a directory without a run in it', `${describeValue(outDir)} (it holds ${shown})`, `Continue that run with --resume ${outDir}, replace it with --force, or pick another ${flag.startsWith('--') ? flag : '--out'}`),
  );
}

/**
 * The CleanRL-style name of a run directory when `--out` is not given:
 * `runs/<env>__<algo>__<seed>__<unix seconds>` (CleanRL's `run_name`), with
 * characters other than `A-Za-z0-9._-` in the env id replaced by `_`.
 */
export function autoRunDir(envId: string, algo: string, seed: number, nowMs = Date.now()): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return join('runs', `${safe(envId)}__${safe(algo)}__${seed}__${Math.floor(nowMs / 1000)}`);
}

/**
 * Cuts `metrics.jsonl` back to the rows at or before `step` (the step of
 * the checkpoint a run resumes from), so the file never steps backwards:
 * rows written after that checkpoint by the interrupted run describe
 * training the resumed run redoes. A line cut short by a crash is dropped.
 * Rewrites the file atomically; returns the rows kept. A missing file
 * gives no rows.
 */
export function truncateMetrics(path: string, step: number): MetricRow[] {
  if (!existsSync(path)) return [];
  const kept: MetricRow[] = [];
  const lines: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let row: MetricRow;
    try {
      row = JSON.parse(line) as MetricRow;
    } catch {
      continue;
    }
    if (typeof row?.global_step !== 'number' || row.global_step > step) continue;
    kept.push(row);
    lines.push(line);
  }
  writeFileAtomic(path, lines.length > 0 ? lines.join('\n') + '\n' : '');
  return kept;
}

/**
 * The run directory of a checkpoint being resumed: the parent of
 * `checkpoint/` (or of the `checkpoint.prev` a crash mid-save left).
 * `where` names the flag (`lamkit train --resume`); `command` the command
 * whose `--out` made the run.
 */
export function runDirOfCheckpoint(checkpointDir: string, given: string, where: string, command: string): string {
  const name = basename(checkpointDir);
  if (name === 'checkpoint' || name === 'checkpoint.prev') return dirname(checkpointDir);
  throw new InvalidArgument(
    formatError(where, `a run directory (the --out of ${command}, holding checkpoint/)`, `${describeValue(given)} (a checkpoint outside a run directory)`, `To train further from these weights, start a new run with --from ${given}`),
  );
}
