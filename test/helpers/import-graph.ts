import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** What {@link walkImports} found: every module file reached, and every import that leaves the package. */
export interface ImportGraph {
  /** Absolute paths of the package's own modules reached from the entry. */
  files: string[];
  /** Imports of Node built-ins (`node:fs`, `fs`, ...), each with the chain of files that reaches it. */
  nodeImports: Array<{ specifier: string; chain: string[] }>;
  /** Bare package imports (`zod`, `@tensorflow/tfjs`, ...) -> the first chain that reaches each. */
  packages: Map<string, string[]>;
}

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Walks the import graph of a module as it runs, not as it type-checks: each
 * `.ts` file is first compiled the way tsc compiles it (`transpileModule`,
 * isolated modules, so imports used only as types disappear), then its static
 * imports, re-exports, `import('literal')` and `require('literal')` are
 * followed. Relative imports are followed (`./x.js` -> `./x.ts` in sources);
 * bare packages and Node built-ins are recorded, not entered.
 */
export function walkImports(entry: string, root: string): ImportGraph {
  const graph: ImportGraph = { files: [], nodeImports: [], packages: new Map() };
  const parent = new Map<string, string | null>([[entry, null]]);
  const chainOf = (file: string): string[] => {
    const chain: string[] = [];
    for (let f: string | null | undefined = file; f; f = parent.get(f)) chain.unshift(relative(root, f));
    return chain;
  };
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    graph.files.push(file);
    let code = readFileSync(file, 'utf8');
    if (file.endsWith('.ts')) code = ts.transpileModule(code, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true } }).outputText;
    for (const { fileName: spec } of ts.preProcessFile(code, true, true).importedFiles) {
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0])) {
        graph.nodeImports.push({ specifier: spec, chain: chainOf(file) });
      } else if (spec.startsWith('.') || spec.startsWith('/')) {
        let target = resolve(dirname(file), spec);
        if (!existsSync(target) && target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
        if (!existsSync(target)) throw new Error(`walkImports: expected ${spec} (imported by ${relative(root, file)}) to exist, got no file at ${target}`);
        if (!parent.has(target)) {
          parent.set(target, file);
          queue.push(target);
        }
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!graph.packages.has(name)) graph.packages.set(name, chainOf(file));
      }
    }
  }
  return graph;
}
