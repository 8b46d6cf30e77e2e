import { writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** Writes `data` to `path` atomically: a temp file in the same directory, then rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
