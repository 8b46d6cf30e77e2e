#!/usr/bin/env node
// The `lamkit` command. An installed package runs the JavaScript compiled
// into dist/ at pack time. A checkout of the repository (the TypeScript
// sources are next to this file; they are not in the published package)
// runs the sources through tsx, a devDependency, so development needs no
// build step and never runs a stale dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import(source.href);
} else {
  main = await import('../dist/src/cli/main.js');
}
await main.runCli(process.argv.slice(2));
