import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument, formatError } from '../core/errors.js';

/** lamkit's working files inside a dataset (LeRobot ignores the directory). */
export const LAMKIT_DIR = '.lamkit';

/** The journal of finished episodes not yet in Parquet. */
export function journalPath(root: string): string {
  return join(root, LAMKIT_DIR, 'journal.bin');
}

function lockPath(root: string): string {
  return join(root, LAMKIT_DIR, 'writer.lock');
}

/** A held writer lock. */
export interface WriterLock {
  /** Removes the lock file. Idempotent. */
  release(): void;
}

/** The pid of a live process holding the dataset's writer lock, or null (no lock, or its process is gone). */
export function lockHolder(root: string): number | null {
  let pid: number;
  try {
    pid = Number(JSON.parse(readFileSync(lockPath(root), 'utf8')).pid);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/**
 * Takes the dataset's writer lock (a file holding our pid, created
 * exclusively). A lock left by a process that no longer exists (killed) is
 * taken over.
 * @throws InvalidArgument when a live process holds it.
 */
export function acquireWriterLock(root: string): WriterLock {
  mkdirSync(join(root, LAMKIT_DIR), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath(root), 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(lockPath(root), { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = lockHolder(root);
      if (holder !== null) {
        throw new InvalidArgument(formatError(`Dataset(${root})`, 'no other writer', `process ${holder} writing it (${lockPath(root)})`, 'Wait for that recording to finish, or record into another --out'));
      }
      rmSync(lockPath(root), { force: true });
    }
  }
  throw new InvalidArgument(formatError(`Dataset(${root})`, 'a writer lock', 'a lock that reappeared', 'Retry'));
}
