import { writeFileSync, renameSync, mkdirSync, rmSync, existsSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
 * {@link writeFileAtomic} for several files at once: each is written to a
 * temp file beside it and all are fsynced concurrently (on the thread pool,
 * so the waits overlap: about one fsync's time instead of one per file),
 * then renamed in order. When this resolves every file is complete on disk
 * under its name; a crash before a rename leaves that file's old contents.
 */
export async function writeFilesAtomic(files: ReadonlyArray<{ path: string; data: string | Uint8Array }>): Promise<void> {
  const tmps = files.map((f) => {
    mkdirSync(dirname(f.path), { recursive: true });
    return join(dirname(f.path), `.${basename(f.path)}.tmp-${process.pid}`);
  });
  try {
    await Promise.all(files.map((f, i) => writeSyncedAsync(tmps[i], f.data)));
  } catch (err) {
    for (const t of tmps) rmSync(t, { force: true });
    throw err;
  }
  files.forEach((f, i) => renameSync(tmps[i], f.path));
}

async function writeSyncedAsync(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
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
