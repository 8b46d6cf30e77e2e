/**
 * Development only: type-strips a page module's TypeScript source so the
 * viewer can serve it when lamkit runs from its sources (through tsx).
 * Not part of the built package (tsconfig.build.json excludes it): there
 * every page module is compiled JavaScript, and `typescript` (a
 * devDependency) is not installed. `StaticAssets` imports this file by a URL
 * computed at run time, so bundlers of the built package never meet it.
 */
import ts from 'typescript';

/** `source` (TypeScript) as an ES2022 module with the types removed; nothing is bundled or resolved. */
export function transpilePageModule(source: string, fileName: string): string {
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false, isolatedModules: true },
  });
  return out.outputText;
}
