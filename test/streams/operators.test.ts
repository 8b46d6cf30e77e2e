import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { slidingWindow } from '../../src/streams/sliding-window.js';
import { rollingStats } from '../../src/streams/rolling-stats.js';
import { sampleLatest } from '../../src/streams/sample-latest.js';
import { episodeReturns } from '../../src/streams/episode-returns.js';
import { eventRate } from '../../src/streams/event-rate.js';
import { toEpisodes } from '../../src/streams/to-episodes.js';
import type { Transition } from '../../src/streams/transitions.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const tr = (reward: number, end = false, episode = 0): Transition<number, number> => ({ obs: 0, action: 0, reward, nextObs: 0, terminated: end, truncated: false, info: {}, episode, t: 0 });

test('slidingWindow emits the last n values, oldest first', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const src = cold('-a-b-c-d|');
    expectObservable(src.pipe(slidingWindow(3))).toBe('-A-B-C-D|', { A: ['a'], B: ['a', 'b'], C: ['a', 'b', 'c'], D: ['b', 'c', 'd'] });
    expectSubscriptions(src.subscriptions).toBe('^-------!');
  });
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('-a-b-c-#').pipe(slidingWindow(2, { emitPartial: false }))).toBe('---B-C-#', { B: ['a', 'b'], C: ['b', 'c'] });
  });
  assert.throws(() => slidingWindow(0), { message: 'slidingWindow.size: expected a positive integer, got 0. Pass e.g. 100.' });
});

test('rollingStats: mean/std/min/max over the window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('-a-b-c|', { a: 1, b: 3, c: 5 });
    expectObservable(src.pipe(rollingStats(2))).toBe('-x-y-z|', {
      x: { mean: 1, std: 0, min: 1, max: 1, count: 1 },
      y: { mean: 2, std: 1, min: 1, max: 3, count: 2 },
      z: { mean: 4, std: 1, min: 3, max: 5, count: 2 },
    });
  });
});

test('sampleLatest keeps only the newest value per period and counts what it dropped', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('-a-b-c-------d---|');
    expectObservable(src.pipe(sampleLatest(7))).toBe('-------x------y--|', { x: { value: 'c', dropped: 2 }, y: { value: 'd', dropped: 0 } });
    // A value pending at completion is flushed.
    expectObservable(cold('-a-b|').pipe(sampleLatest(7))).toBe('----(y|)', { y: { value: 'b', dropped: 1 } });
  });
  scheduler().run(({ hot, expectObservable }) => {
    // A robot at 1 kHz sampled every 10 ms: the consumer sees about 1 in 10, memory stays one value.
    const src = hot('abcdefghijklmnopqrst-');
    expectObservable(src.pipe(sampleLatest(10), map((s) => `${s.value}${s.dropped}`)), '^ 30ms !').toBe('----------x---------y', { x: 'k10', y: 't8' });
  });
});

test('episodeReturns and toEpisodes cut at terminated/truncated', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('-a-b-c-d-e|', { a: tr(1), b: tr(2), c: tr(3, true), d: tr(4, false, 1), e: tr(5, true, 1) });
    expectObservable(src.pipe(episodeReturns())).toBe('-----x---y|', {
      x: { episode: 0, return: 6, length: 3, terminated: true, truncated: false },
      y: { episode: 1, return: 9, length: 2, terminated: true, truncated: false },
    });
    expectObservable(src.pipe(toEpisodes(), map((e) => `${e.index}:${e.length}:${e.return}`))).toBe('-----x---y|', { x: '0:3:6', y: '1:2:9' });
  });
});

test('eventRate reports Hz per window, 0 when the source stalls', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('-a-b-c-------|').pipe(eventRate(6))).toBe('------x-----y|', { x: 500, y: 0 });
  });
  assert.throws(() => eventRate(-1), { message: 'eventRate.periodMs: expected a positive number of ms, got -1. Pass e.g. 1000.' });
});
