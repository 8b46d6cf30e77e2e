import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('README names both versions: the npm package mujoco (package.json) and the MuJoCo it wraps (mj_versionString)', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const pkgVersion = JSON.parse(readFileSync(new URL('../../node_modules/mujoco/package.json', import.meta.url), 'utf8')).version as string;
  const mj = await (await import('mujoco')).default();
  const engine = mj.mj_versionString();
  assert.ok(readme.includes(`npm \`mujoco\` ${pkgVersion}`), `README should name npm \`mujoco\` ${pkgVersion}`);
  assert.ok(readme.includes(`MuJoCo ${engine}`), `README should name MuJoCo ${engine}`);
});
