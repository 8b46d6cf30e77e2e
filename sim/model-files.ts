import type { MjModel } from 'mujoco';
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

/**
 * Where a model comes from. `xml` is MJCF text, `urdf` is URDF text (MuJoCo
 * reads both), `file` is a path (Node) or URL (browser) read by
 * {@link MujocoWorld.create} (`.urdf` files are read as URDF).
 * `assets` maps relative paths (meshes, included files) to their contents;
 * they are written next to the model in MuJoCo's in-memory file system.
 * `name` names the model in errors (default: the model's own name).
 */
export type ModelSource =
  | { xml: string; name?: string; assets?: ModelAssets }
  | { urdf: string; name?: string; assets?: ModelAssets }
  | { file: string; name?: string; assets?: ModelAssets };

/** The model text of an in-memory source (files need the async path). */
export function sourceText(source: ModelSource): string {
  const ok = source !== null && typeof source === 'object';
  const text = ok ? ('xml' in source ? source.xml : 'urdf' in source ? source.urdf : undefined) : undefined;
  if (typeof text !== 'string') {
    const got = ok && 'file' in source ? `{ file: ${describeValue(source.file)} }` : describeValue(source);
    throw new InvalidArgument(formatError('MujocoWorld.createSync.source', '{ xml: string } or { urdf: string }', got, 'Pass model text; use await MujocoWorld.create({ file }) for files'));
  }
  return text;
}

/** Compiles model text through MuJoCo's in-memory file system (files removed afterwards). */
export function loadModel(mj: Mujoco, name: string, text: string, isUrdf: boolean, assets?: ModelAssets): MjModel {
  const files = writeModelFiles(mj, text, isUrdf ? 'urdf' : 'xml', assets);
  try {
    return mj.MjModel.mj_loadXML(files.modelPath);
  } catch (err) {
    throw SimLoadError.fromMujoco(name, err);
  } finally {
    removeModelFiles(mj, files);
  }
}
