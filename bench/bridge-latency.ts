/**
 * Bridge latency on loopback (`npm run bench:bridge`): a `RemoteEnv.step`
 * round trip (action out, observation back, binary frames, 16-float
 * observations, 4-float actions) between the server in this process and
 * robots in a child process (so each side has its own event loop / core).
 *
 * 1. One robot stepped in lockstep as fast as it answers: rate (Hz) and
 *    round-trip p50/p99. Target >= 1 kHz with p99 < 2 ms.
 * 2. 100 robots each stepped at 50 Hz (5,000 steps/s in total): round-trip
 *    p50/p99 and CPU of both processes after a 1 s warm-up. Target p99 < 10 ms.
 *
 * Options: `--quick` (1 s phases), env `BENCH_MS` (phase length, default 5000).
 * The machine has 2 cores shared with other work: the load average is printed
 * with the figures. Writes bench/results/bridge-latency.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Box } from '../src/core/spaces/box.js';
import { BridgeServer } from '../src/bridge/bridge-server.js';
import { RobotClient, type RobotStep } from '../src/bridge/robot-client.js';
import type { RemoteEnv } from '../src/bridge/remote-env.js';

const OBS = new Box(-Infinity, Infinity, [16]);
const ACT = new Box(-1, 1, [4]);

/** Child mode: `--robot-process <url> <n> <prefix>` connects n trivial robots and reports its CPU time on stdin close. */
async function robotProcess(url: string, n: number, prefix: string): Promise<void> {
  const clients: RobotClient[] = [];
  for (let i = 0; i < n; i++) {
    const obs = new Float32Array(16);
    let t = 0;
    const step: RobotStep = { obs, reward: 0 };
    clients.push(
      await RobotClient.connect({
        url,
        robotId: `${prefix}-${i}`,
        observationSpace: OBS,
        actionSpace: ACT,
        controlRateHz: 1000,
        safeAction: [0, 0, 0, 0],
        watchdogMs: 60000,
        handler: {
          reset: () => ((t = 0), obs.fill(0), step),
          act: (a) => {
            const v = a as Float32Array;
            for (let k = 0; k < 16; k++) obs[k] = v[k & 3] + t;
            t++;
            return step;
          },
          applySafeAction: () => {},
        },
      }),
    );
  }
  process.stdout.write('ready\n');
  const cpu0 = process.cpuUsage();
  process.stdin.resume();
  process.stdin.on('end', async () => {
    const cpu = process.cpuUsage(cpu0);
    for (const c of clients) await c.close();
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
    process.exit(0);
  });
}

/** `stop()` resolves with the child's CPU use in % of one core since it was ready. */
function startRobots(url: string, n: number, prefix: string): Promise<{ child: ChildProcess; stop: () => Promise<number> }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--robot-process', url, String(n), prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.startsWith('ready\n') && out.length === 6) {
        const readyMs = performance.now();
        resolve({
          child,
          stop: () =>
            new Promise((res) => {
              child.stdout!.on('data', () => {
                const line = out.split('\n').find((l) => l.startsWith('{'));
                if (line) res((JSON.parse(line).cpuMs / (performance.now() - readyMs)) * 100);
              });
              child.stdin!.end();
            }),
        });
      }
    });
  });
}

function percentile(xs: Float64Array, n: number, p: number): number {
  const s = xs.slice(0, n).sort();
  return s[Math.min(n - 1, Math.floor(p * n))];
}

async function main(): Promise<void> {
  const QUICK = process.argv.includes('--quick');
  const PHASE_MS = Number(process.env.BENCH_MS ?? (QUICK ? 1000 : 5000));
  const server = await BridgeServer.listen({ port: 0, maxMessagesPerSecond: 1e6 });
  const results: Record<string, unknown> = { load1Before: loadavg()[0], cpus: cpus().length, cpuModel: cpus()[0]?.model, phaseMs: PHASE_MS };
  const action = Float32Array.of(0.1, -0.2, 0.3, -0.4);

  // Phase 1: one robot, lockstep, as fast as it goes.
  {
    const robots = await startRobots(server.url, 1, 'solo');
    const [env] = (await server.waitForRobots(1)) as RemoteEnv<Float32Array, Float32Array>[];
    await env.reset({ seed: 0 });
    const lat = new Float64Array(2_000_000);
    for (let i = 0; i < 2000; i++) await env.step(action); // warm-up
    let n = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < PHASE_MS) {
      const s = performance.now();
      await env.step(action);
      lat[n++] = performance.now() - s;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const robotCpuPct = await robots.stop();
    const solo = { hz: (n / wall) * 1000, p50Ms: percentile(lat, n, 0.5), p99Ms: percentile(lat, n, 0.99), steps: n, serverCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, robotCpuPct };
    results.oneRobot = solo;
    console.log(`one robot, lockstep: ${solo.hz.toFixed(0)} Hz (target >= 1000 Hz)`);
    console.log(`one robot round trip p50: ${solo.p50Ms.toFixed(3)} ms`);
    console.log(`one robot round trip p99: ${solo.p99Ms.toFixed(3)} ms (target < 2 ms)`);
    console.log(`one robot CPU: server ${solo.serverCpuPct.toFixed(0)}% + robot ${solo.robotCpuPct.toFixed(0)}% of a core`);
  }

  // Phase 2: 100 robots at 50 Hz each.
  {
    const N = 100;
    const RATE = 50;
    const periodMs = 1000 / RATE;
    const robots = await startRobots(server.url, N, 'fleet');
    const envs = ((await server.waitForRobots(N + 1)) as RemoteEnv<Float32Array, Float32Array>[]).filter((e) => e.robotId.startsWith('fleet'));
    await Promise.all(envs.map((e) => e.reset({ seed: 0 })));
    const WARMUP_MS = 1000;
    const lat = new Float64Array(N * RATE * Math.ceil(PHASE_MS / 1000) * 2);
    let n = 0;
    let late = 0;
    let cpu0 = process.cpuUsage();
    const t0 = performance.now();
    setTimeout(() => (cpu0 = process.cpuUsage()), WARMUP_MS);
    const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
    await Promise.all(
      envs.map(async (env, i) => {
        const start = t0 + (i * periodMs) / N; // staggered, as independent robots would be
        for (let k = 0; ; k++) {
          const due = start + k * periodMs;
          if (due - t0 >= WARMUP_MS + PHASE_MS) return;
          await sleepUntil(due);
          const s = performance.now();
          await env.step(action);
          const e = performance.now();
          if (due - t0 < WARMUP_MS) continue; // the first second warms up JIT and 100 fresh sockets
          lat[n++] = e - s;
          if (e > due + periodMs) late++;
        }
      }),
    );
    const wall = performance.now() - t0 - WARMUP_MS;
    const cpu = process.cpuUsage(cpu0);
    const robotsCpuPct = await robots.stop();
    const fleet = {
      robots: N,
      rateHz: RATE,
      achievedStepsPerSecond: (n / wall) * 1000,
      p50Ms: percentile(lat, n, 0.5),
      p99Ms: percentile(lat, n, 0.99),
      lateSteps: late,
      serverCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
      robotsCpuPct,
    };
    results.fleet = fleet;
    console.log(`100 robots x 50 Hz: ${fleet.achievedStepsPerSecond.toFixed(0)} steps/s in total (target 5000)`);
    console.log(`100 robots round trip p50: ${fleet.p50Ms.toFixed(3)} ms`);
    console.log(`100 robots round trip p99: ${fleet.p99Ms.toFixed(3)} ms (target < 10 ms)`);
    console.log(`100 robots CPU: server ${fleet.serverCpuPct.toFixed(0)}% + robots ${fleet.robotsCpuPct.toFixed(0)}% of a core; ${late} steps missed their period`);
  }
  results.load1After = loadavg()[0];
  console.log(`load average (1 min) before/after: ${(results.load1Before as number).toFixed(2)} / ${(results.load1After as number).toFixed(2)} on ${cpus().length} cores`);
  await server.close();
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/bridge-latency.json.tmp', JSON.stringify(results, null, 2));
  renameSync('bench/results/bridge-latency.json.tmp', 'bench/results/bridge-latency.json');
}

const i = process.argv.indexOf('--robot-process');
if (i >= 0) void robotProcess(process.argv[i + 1], Number(process.argv[i + 2]), process.argv[i + 3]);
else
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
