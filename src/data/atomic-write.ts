import { writeFileSync, renameSync, mkdirSync, rmSync, existsSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes `data` to `path` atomically: a temp file in the same directory
 * (fsynced), then a rename over `path`. A reader sees the old file or the
 * new one, never half of either; a crash mid-write leaves the old file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  writeSynced(tmp, data);
  renameSync(tmp, path);
}

/**
 * Replaces directory `dir` atomically with what `fill(tmpDir)` writes into a
 * sibling temp directory: `dir` -> `dir.prev`, temp -> `dir`, then
 * `dir.prev` is removed. A reader never sees a half-written directory; after
 * a crash between the two renames, `dir.prev` still holds the previous
 * version (readers fall back to it, see `resolveCheckpointDir`).
 * Files written with {@link writeSynced} are on disk before the renames.
 */
export function replaceDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const prev = `${dir}.prev`;
  rmSync(prev, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, prev);
  renameSync(tmp, dir);
  rmSync(prev, { recursive: true, force: true });
}

/** Writes a file and fsyncs it (so a later rename publishes complete contents). */
export function writeSynced(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * {@link replaceDirAtomic} for an asynchronous `fill` (e.g. a dataset
 * rewritten through `DatasetWriter`): the same temp-then-rename sequence.
 */
export async function replaceDirAtomicAsync(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const prev = `${dir}.prev`;
  rmSync(prev, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, prev);
  renameSync(tmp, dir);
  rmSync(prev, { recursive: true, force: true });
}
