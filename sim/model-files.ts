import type { Mujoco } from './load-mujoco.js';
import { InvalidArgument, formatError, describeValue } from '../src/core/errors.js';
import { SimLoadError } from './sim-load-error.js';

/** Files a model refers to (meshes, included MJCF), by path relative to the model. */
export type ModelAssets = Record<string, string | Uint8Array>;

/** Paths written into MuJoCo's in-memory file system for one load. */
export interface ModelFiles {
  dir: string;
  modelPath: string;
  /** Every file written, then every directory created (deepest last). */
  files: string[];
  dirs: string[];
}

const ROOT = '/lamkit';
let sequence = 0;

/**
 * Writes a model and its assets into a fresh directory of MuJoCo's in-memory
 * file system, so relative asset paths in the model resolve. Remove them
 * with {@link removeModelFiles} once loaded (MuJoCo copies what it needs).
 */
export function writeModelFiles(mj: Mujoco, text: string, ext: 'xml' | 'urdf', assets?: ModelAssets): ModelFiles {
  const fs = mj.FS;
  if (!exists(mj, ROOT)) fs.mkdir(ROOT);
  const dir = `${ROOT}/${++sequence}`;
  fs.mkdir(dir);
  const out: ModelFiles = { dir, modelPath: `${dir}/model.${ext}`, files: [], dirs: [dir] };
  fs.writeFile(out.modelPath, text);
  out.files.push(out.modelPath);
  for (const [rel, content] of Object.entries(assets ?? {})) {
    if (rel.startsWith('/') || rel.split('/').includes('..') || (typeof content !== 'string' && !(content instanceof Uint8Array))) {
      removeModelFiles(mj, out);
      throw new InvalidArgument(formatError(`MujocoWorld.assets[${JSON.stringify(rel)}]`, 'a relative path without .. mapped to a string or Uint8Array', describeValue(content), 'Use paths as the model refers to them'));
    }
    const parts = rel.split('/');
    let cur = dir;
    for (const part of parts.slice(0, -1)) {
      cur = `${cur}/${part}`;
      if (!exists(mj, cur)) {
        fs.mkdir(cur);
        out.dirs.push(cur);
      }
    }
    const path = `${dir}/${rel}`;
    fs.writeFile(path, content);
    out.files.push(path);
  }
  return out;
}

/** Deletes what {@link writeModelFiles} wrote (best effort: missing files are ignored). */
export function removeModelFiles(mj: Mujoco, files: ModelFiles): void {
  for (const f of files.files) {
    if (exists(mj, f)) mj.FS.unlink(f);
  }
  for (const d of [...files.dirs].reverse()) {
    if (exists(mj, d)) mj.FS.rmdir(d);
  }
}

/** The model's own name: `<mujoco model="...">` or `<robot name="...">`, else 'model'. */
export function modelNameOf(text: string, isUrdf: boolean): string {
  const re = isUrdf ? /<robot\b[^>]*\bname\s*=\s*"([^"]*)"/ : /<mujoco\b[^>]*\bmodel\s*=\s*"([^"]*)"/;
  return re.exec(text)?.[1] || 'model';
}

function exists(mj: Mujoco, path: string): boolean {
  return mj.FS.analyzePath(path, false).exists;
}

/** Reads a model file: from disk in Node, with `fetch` in a browser. @throws SimLoadError when it cannot be read. */
export async function readModelFile(file: string): Promise<string> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  try {
    if (isNode) {
      const fs = await import('node:fs/promises');
      return await fs.readFile(file, 'utf8');
    }
    const res = await fetch(file);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SimLoadError(formatError(`MujocoWorld.create(${JSON.stringify(file)})`, 'a readable model file', reason, 'Check the path'), file, reason, { cause: err });
  }
}
