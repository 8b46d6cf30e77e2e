/**
 * lamkit's public API: `import { make, PPO, Box } from 'lamkit'`.
 * This file, `src/browser.ts` and `src/cli` are the only files in `src/` that import
 * `envs`, `agents` or `sim`. Importing it does no heavy work: MuJoCo and
 * tfjs load only when an env or agent is created.
 */
export * from './core/index.js';
// Node only (not in src/core/index.ts, which the browser entry shares): see the module comment.
export { tuneAllocator } from './core/tune-allocator.js';
export * from './wrappers/index.js';
export * from './vector/index.js';
export * from './registry/index.js';
export * from './streams/index.js';
export * from './data/index.js';
export * from './bridge/index.js';
export * from './bench/index.js';
export * from './run/index.js';
export * from '../agents/export/index.js';
export { startInBrowserLoop, bundleInBrowserLoop, type InBrowserLoopOptions, type InBrowserLoopServer } from './cli/in-browser/in-browser-server.js';
export * from '../envs/index.js';
export * from '../agents/index.js';
export * from '../sim/index.js';
