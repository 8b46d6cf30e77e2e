import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeVec } from '../../src/registry/make-vec.js';
import { SyncVectorEnv } from '../../src/vector/sync-vector-env.js';
import { AsyncVectorEnv } from '../../src/vector/async-vector-env.js';
import { AsyncEnvVector } from '../../src/vector/async-env-vector.js';
import { toAsyncEnv } from '../../src/core/env.js';
import { Box } from '../../src/core/spaces/box.js';
import { BackendError, ClosedError, InvalidAction, InvalidArgument, InvalidSpace, RegistryError, ResetNeeded } from '../../src/core/errors.js';
import type { VectorEnv } from '../../src/core/vector-env.js';
import { CountingEnv, COUNTING_ID } from './fixtures/counting-env.js';
import { registeredEnvFactory } from '../../src/registry/registered-env-factory.js';

// The fixture as this file runs: .ts under tsx, .js when the tests run transpiled (scripts/test-js.mjs; a worker without tsx loads no .ts).
const FIXTURE_URL = new URL(import.meta.url.endsWith('.ts') ? './fixtures/counting-env.ts' : './fixtures/counting-env.js', import.meta.url).href;
import { TestEnv } from '../helpers/test-env.js';
import { closeAtEnd } from '../helpers/close-at-end.js';

const NAME = { sync: 'SyncVectorEnv', async: 'AsyncVectorEnv' } as const;

async function counting(mode: 'sync' | 'async', kwargs: Record<string, unknown> = {}): Promise<VectorEnv> {
  return makeVec(COUNTING_ID, { numEnvs: 4, vectorizationMode: mode, numWorkers: 2, makeOptions: { kwargs } });
}

describe('vector env errors', () => {
  for (const mode of ['sync', 'async'] as const) {
    test(`${mode}: lifecycle errors, a sub-env's error with its class and message, close twice`, async () => {
      const vec = closeAtEnd(await counting(mode, { throwAtStep: 3 }));
      const name = NAME[mode];
      await assert.rejects(vec.step(new Int32Array(4)), (e: Error) => {
        assert.ok(e instanceof ResetNeeded);
        assert.equal(e.message, `${name}.step: expected reset() before step(), got step() on a vector env that was never reset. Call await vec.reset() first.`);
        return true;
      });
      await vec.reset({ seed: 0 });
      await assert.rejects(vec.step(new Float32Array(4)), (e: Error) => {
        assert.ok(e instanceof InvalidAction);
        assert.equal(e.message, `${name}.step.actions: expected Int32Array [numEnvs x actDim] = [4 x 1] for Discrete(2), got Float32Array(4) [0, 0, 0, 0]. Allocate it with allocateActions(env.singleActionSpace, env.numEnvs).`);
        return true;
      });
      // A bad action inside a sub-env (here: in a worker) arrives with the env's class and message.
      await assert.rejects(vec.step(Int32Array.of(0, 0, 5, 0)), (e: Error) => {
        assert.ok(e instanceof InvalidAction, `got ${e.name}`);
        assert.equal(e.message, 'CountingEnv.step: expected an action in Discrete(2), got 5. Pass 0 or 1.');
        return true;
      });
      await assert.rejects(vec.step(new Int32Array(4)), (e: Error) => {
        assert.ok(e instanceof ResetNeeded);
        assert.equal(e.message, `${name}.step: expected reset() after a failed step or reset, got step(). Call await vec.reset() to restart every sub-env.`);
        return true;
      });
      await vec.reset({ seed: 0 });
      await vec.step(new Int32Array(4)); // total step 2 of sub-env 0 (step 1 was the valid part of the failed batch)
      await assert.rejects(vec.step(new Int32Array(4)), (e: Error) => {
        assert.equal(e.constructor, Error);
        assert.equal(e.message, 'CountingEnv: boom at step 3');
        return true;
      });
      await assert.rejects(vec.reset({ seed: [1, 2] }), (e: Error) => {
        assert.ok(e instanceof InvalidArgument);
        assert.equal(e.message, `${name}.reset.seed: expected a safe integer or an array of 4 safe integers (one per sub-env), got [1, 2]. Pass one seed, or exactly numEnvs seeds.`);
        return true;
      });
      await vec.close();
      await vec.close();
      await assert.rejects(vec.step(new Int32Array(4)), (e: Error) => {
        assert.ok(e instanceof ClosedError);
        assert.equal(e.message, `${name}.step: expected an open vector env, got one that was closed. Create a new vector env.`);
        return true;
      });
    });
  }

  test('AsyncEnvVector: a rejected sub-env step rejects the batch with that error, then requires reset', async () => {
    const failing = toAsyncEnv(new CountingEnv({ throwAtStep: 1 }));
    const vec = new AsyncEnvVector([toAsyncEnv(new CountingEnv()), failing]);
    await vec.reset({ seed: 0 });
    await assert.rejects(vec.step(new Int32Array(2)), { message: 'CountingEnv: boom at step 1' });
    await assert.rejects(vec.step(new Int32Array(2)), ResetNeeded);
    await vec.reset();
    await vec.step(new Int32Array(2));
    await vec.close();
    await vec.close();
  });

  test('async: a worker that dies rejects the pending step instead of hanging, and close still works', async () => {
    const vec = closeAtEnd(await counting('async', { exitAtStep: 2 }));
    await vec.reset({ seed: 0 });
    await vec.step(new Int32Array(4));
    await assert.rejects(vec.step(new Int32Array(4)), (e: Error) => {
      assert.ok(e instanceof BackendError);
      assert.match(e.message, /^AsyncVectorEnv\.worker\[\d\]: expected the worker \(sub-envs \d\.\.\d\) to keep running, got exit code 7\./);
      return true;
    });
    await assert.rejects(vec.reset(), BackendError);
    await vec.close();
    await vec.close();
  });

  test('async: close() during a pending step rejects that step; functions in makeOptions are refused', async () => {
    const vec = closeAtEnd(await counting('async', { stepSpinMs: 300 })); // the step is still running when close() comes
    await vec.reset({ seed: 0 });
    const pending = vec.step(new Int32Array(4));
    const closing = vec.close();
    await assert.rejects(pending, (e: Error) => {
      assert.ok(e instanceof ClosedError);
      assert.equal(e.message, 'AsyncVectorEnv: expected the pending step()/reset() to finish, got close() during it. Await each call before closing.');
      return true;
    });
    await closing;
    await assert.rejects(makeVec(COUNTING_ID, { numEnvs: 2, vectorizationMode: 'async', makeOptions: { kwargs: { f: () => 1 } } }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument, `got ${e.name}: ${e.message}`);
      assert.match(e.message, /^makeVec\.options\.makeOptions: expected structured-cloneable make options \(no functions\) for vectorizationMode 'async', got \{kwargs\}\. Pass plain data/);
      return true;
    });
    await assert.rejects(AsyncVectorEnv.create({ numEnvs: 2, factory: { module: FIXTURE_URL, exportName: 'makeCounting', args: { f: () => 1 } } }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument, `got ${e.name}: ${e.message}`);
      assert.match(e.message, /^AsyncVectorEnv\.create\.options\.factory\.args: expected structured-cloneable arguments \(no functions\), got \{f\}\. Pass plain data/);
      return true;
    });
  });

  test('async: a worker that cannot build the env rejects create() with the worker error', async () => {
    await assert.rejects(
      AsyncVectorEnv.create({ factory: registeredEnvFactory({ id: 'test/NotRegistered-v0', module: FIXTURE_URL }), numEnvs: 2, numWorkers: 1 }),
      (e: Error) => {
        assert.ok(e instanceof RegistryError, `got ${e.name}: ${e.message}`);
        assert.match(e.message, /^make\.id: expected a registered env id, got "test\/NotRegistered-v0"\./);
        return true;
      },
    );
    await assert.rejects(AsyncVectorEnv.create({ factory: { module: FIXTURE_URL, exportName: 'noSuchExport' }, numEnvs: 1 }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument, `got ${e.name}: ${e.message}`);
      assert.match(e.message, /^AsyncVectorEnv worker\.factory \(file:.*counting-env\.[jt]s\)\.noSuchExport: expected an exported function \(args\) => \(index\) => Env, got undefined\. Export it from the module, or fix exportName \(exports: .*makeCounting/);
      return true;
    });
  });

  test('async: a factory given by module URL and export builds the sub-envs (no registry involved)', async () => {
    const vec = await AsyncVectorEnv.create({ factory: { module: FIXTURE_URL, exportName: 'makeCounting', args: { throwAtStep: 1000 } }, numEnvs: 3, numWorkers: 2 });
    const { obs } = await vec.reset({ seed: 0 });
    assert.deepEqual(Array.from(obs), [1, 0, 0, 1, 0, 0, 1, 0, 0]);
    const { rewards } = await vec.step(Int32Array.of(1, 1, 1));
    assert.deepEqual(Array.from(rewards), [1, 1, 1]);
    await vec.close();
    await assert.rejects(AsyncVectorEnv.create({ factory: { module: 'counting-env.ts', exportName: 'makeCounting' }, numEnvs: 1 }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument);
      assert.match(e.message, /^AsyncVectorEnv\.create\.options\.factory\.module: expected the URL of the module that exports the factory, got "counting-env\.ts"\./);
      return true;
    });
  });

  test('makeVec and the constructors validate their arguments', async () => {
    await assert.rejects(makeVec(COUNTING_ID, { numEnvs: 0 }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument);
      assert.equal(e.message, 'makeVec.options.numEnvs: expected a positive integer, got 0. Pass e.g. { numEnvs: 8 }.');
      return true;
    });
    await assert.rejects(makeVec(COUNTING_ID, { numEnvs: 2, vectorizationMode: 'async', wrappers: [(e) => e] }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument);
      assert.equal(
        e.message,
        "makeVec.options.wrappers: expected no wrappers with vectorizationMode 'async' (functions cannot be sent to worker threads), got 1 wrapper function(s). Register a task whose entryPoint applies the wrappers (with `module: import.meta.url`), or use 'sync'.",
      );
      return true;
    });
    await assert.rejects(makeVec(COUNTING_ID, { numEnvs: 2, vectorizationMode: 'async', numWorkers: 3 }), (e: Error) => {
      assert.ok(e instanceof InvalidArgument);
      assert.equal(e.message, 'AsyncVectorEnv.create.options.numWorkers: expected an integer in [1, numEnvs = 2], got 3. Omit it for one worker per core.');
      return true;
    });
    assert.throws(() => new SyncVectorEnv([]), (e: Error) => {
      assert.ok(e instanceof InvalidArgument);
      assert.equal(e.message, 'SyncVectorEnv.envFns: expected a non-empty array of env factories () => Env, got []. Pass e.g. Array.from({ length: 8 }, () => () => make(id)).');
      return true;
    });
    assert.throws(() => new SyncVectorEnv([() => new CountingEnv(), () => new TestEnv({ observationSpace: new Box(0, 1, [2]) })]), (e: Error) => {
      assert.ok(e instanceof InvalidSpace);
      assert.equal(
        e.message,
        'SyncVectorEnv.envFns[1].observationSpace: expected Box(0.0, 1000000.0, (3,), float32) (the space of sub-env 0), got Box(0.0, 1.0, (2,), float32). Vectorize copies of one task only.',
      );
      return true;
    });
  });
});
