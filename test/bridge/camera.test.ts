import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { WebSocket } from 'ws';
import { initBackend } from '../../agents/backend.js';
import { TextTransformerActorCritic } from '../../agents/policies/text/text-transformer-actor-critic.js';
import { textPolicyInputs } from '../../agents/policies/text/text-policy-kind.js';
import { NetworkPolicy } from '../../agents/policies/network-policy.js';
import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../../src/core/env.js';
import { Rng } from '../../src/core/rng.js';
import { Box } from '../../src/core/spaces/box.js';
import { Dict } from '../../src/core/spaces/dict.js';
import { Discrete } from '../../src/core/spaces/discrete.js';
import { Text, INSTRUCTION_CHARSET } from '../../src/core/spaces/text.js';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { servePolicy } from '../../src/bridge/policy-server.js';
import { decodeFrame, encodeFrame, FRAME_HEADER_BYTES, FRAME_KIND_OBS } from '../../src/bridge/binary-frame.js';
import { obsLayout, packObs, unpackObs } from '../../src/bridge/packed-obs.js';
import { MAX_IMAGE_BYTES } from '../../src/bridge/space-limits.js';
import { sleep } from './fixtures.js';

type CamObs = { image: Uint8Array; instruction: string; state: Float32Array };

const H = 16;
const W = 16;
const INSTRUCTIONS = ['touch the red ball', 'go to the green cube', 'hold still'];
/** What a camera robot announces: joints, an instruction and an RGB image (the Dict layout of makeImageVec / LangReach-v0). */
const SPACE = new Dict<CamObs>({ state: new Box(-5, 5, [2]), instruction: new Text(24, { charset: INSTRUCTION_CHARSET }), image: new Box(0, 255, [H, W, 3], 'uint8') });

/**
 * A simulated camera robot: each step it shows a fresh random image and keeps
 * its instruction for the episode; it records the actions it got and the
 * observations it sent.
 */
class CameraRobotEnv extends BaseEnv<CamObs, number> {
  readonly observationSpace = SPACE;
  readonly actionSpace = new Discrete(3);
  sent: CamObs[] = [];
  actions: number[] = [];
  private instruction = '';
  private t = 0;
  private obs(): CamObs {
    const image = Uint8Array.from({ length: H * W * 3 }, () => this.rng.integer(0, 256));
    const o = { image, instruction: this.instruction, state: Float32Array.of(this.rng.uniform(-1, 1), this.t / 10) };
    this.sent.push(o);
    return o;
  }
  reset(args?: ResetArgs): ResetResult<CamObs> {
    this.seedRng(args);
    this.t = 0;
    this.instruction = INSTRUCTIONS[this.rng.integer(0, INSTRUCTIONS.length)];
    return { obs: this.obs(), info: {} };
  }
  step(action: number): StepResult<CamObs> {
    this.actions.push(Number(action));
    this.t++;
    return { obs: this.obs(), reward: 0, terminated: false, truncated: this.t >= 8, info: {} };
  }
}

test('packed frames: images travel as one byte a pixel, the rest as float32, and join back exactly', () => {
  const rng = new Rng(1);
  const obs = { image: Uint8Array.from({ length: H * W * 3 }, () => rng.integer(0, 256)), instruction: 'hold still', state: Float32Array.of(0.25, -1.5) };
  const flat = SPACE.flatten(obs) as Float32Array;
  const layout = obsLayout(SPACE);
  assert.deepEqual(layout.bytes, [[0, H * W * 3]], 'Dict keys sorted: image first');
  const { values, bytes } = packObs(flat, layout, 't');
  const frame = encodeFrame(FRAME_KIND_OBS, 7, values, 0.5, false, true, bytes);
  assert.equal(frame.length, FRAME_HEADER_BYTES + 4 * (24 + 2) + H * W * 3, '24 + 4 x 26 + 768 bytes');
  assert.ok(frame.length < 0.3 * (FRAME_HEADER_BYTES + 4 * flat.length), 'under a third of the float32 frame');
  const back = decodeFrame(frame, 'F');
  assert.equal(back.seq, 7);
  assert.equal(back.truncated, true);
  assert.deepEqual(unpackObs(back.values, back.bytes!, layout, 'F'), flat);
  assert.deepEqual(SPACE.unflatten(unpackObs(back.values, back.bytes!, layout, 'F')), obs);
  // A pixel that is not a byte cannot be packed; counts that do not match the layout are a BAD_FRAME.
  const badPixel = flat.slice();
  badPixel[5] = 300;
  assert.throws(() => packObs(badPixel, layout, 'R.obs'), { bridgeCode: 'BAD_OBSERVATION', message: /^R\.obs\[5\]: expected a pixel: an integer 0-255/ });
  assert.throws(() => unpackObs(back.values, back.bytes!.subarray(1), layout, 'F'), { bridgeCode: 'BAD_FRAME', message: /expected 26 float32 values \(n\) and 768 bytes \(m\).*got n = 26, m = 767/ });
  // Truncated packed frame: the length must match n and m.
  assert.throws(() => decodeFrame(frame.subarray(0, frame.length - 1), 'F'), { bridgeCode: 'BAD_FRAME', message: /^F\.m: / });
});

test('a camera robot sends state + instruction + image; RemoteEnv delivers the Dict exactly and a tiny image+text policy serves it', { timeout: 60_000 }, async () => {
  await initBackend();
  const tensors = tf.memory().numTensors;
  const inputs = textPolicyInputs(SPACE, INSTRUCTIONS);
  const net = TextTransformerActorCritic.create(
    { obsDim: SPACE.flatDim, head: { kind: 'categorical', nvec: [3] }, text: inputs.text, vocab: ['<pad>', '<unk>', ...inputs.vocab], maxTokens: 6, embeddings: 'learned', embedDim: 8, dModel: 16, layers: 1, heads: 2, mlpRatio: 2, image: { ...inputs.image!, patch: 4, grid: 2 } },
    new Rng(2),
    { logStdInit: 0 },
  );
  const policy = new NetworkPolicy(net, { observationSpace: SPACE, actionSpace: new Discrete(3), obsStats: null, clipObs: 10 });
  const env = new CameraRobotEnv();
  const server = await BridgeServer.listen({ port: 0 });
  let client: RobotClient | null = null;
  try {
    let frames = 0;
    let packedBytes = 0;
    client = await RobotClient.connect({ url: server.url, robotId: 'camera', observationSpace: SPACE, actionSpace: env.actionSpace, controlRateHz: 50, safeAction: [0], handler: envRobotHandler(env as never) });
    const [remote] = await server.waitForRobots(1, 5000);
    assert.equal(remote.observationSpace.equals(SPACE), true, 'the Dict with Text and uint8 image travels in the handshake');
    // What the server received, frame by frame (decoded again here from the robot's side of the socket).
    const ws = (client as unknown as { ws: WebSocket }).ws;
    const send = ws.send.bind(ws);
    (ws as { send: (d: unknown, ...rest: unknown[]) => void }).send = (d: unknown, ...rest: unknown[]) => {
      if (d instanceof Uint8Array) {
        frames++;
        packedBytes += decodeFrame(d).bytes?.length ?? 0;
      }
      send(d as never, ...(rest as []));
    };
    const received: Array<{ obs: CamObs }> = [];
    remote.onObservation((ev) => received.push({ obs: SPACE.unflatten(ev.obs) as CamObs }));
    const served = servePolicy(server, policy, { seed: 3 });
    const t0 = performance.now();
    while (env.actions.length < 16) {
      assert.ok(performance.now() - t0 < 30_000, `16 served steps within 30 s (got ${env.actions.length})`);
      await sleep(10);
    }
    await served.stop();
    assert.ok(frames >= 16 && packedBytes === frames * H * W * 3, `every observation went as a packed frame (${frames} frames, ${packedBytes} image bytes)`);
    // Each action is what the policy chooses for the observation the robot sent before it (the image and instruction arrived exactly).
    assert.ok(received.length >= env.actions.length);
    for (let i = 0; i < received.length; i++) assert.deepEqual(received[i].obs, env.sent[i], `observation ${i} arrived exactly`);
    let k = 0;
    for (let i = 0; i < env.actions.length; i++) {
      // Observation i + episode resets: the env records resets in `sent` too, so walk both in order.
      const expected = Number((policy.act(SPACE.flatten(env.sent[k]) as Float32Array, { deterministic: true }) as ArrayLike<number>)[0]);
      assert.equal(env.actions[i], expected, `action ${i}`);
      k += (i + 1) % 8 === 0 ? 2 : 1; // after the 8th step of an episode the next observation is a reset's
    }
    // The image matters to this policy: masking its tokens changes some choice on the observations sent.
    const flat = new Float32Array(env.sent.length * SPACE.flatDim);
    env.sent.forEach((o, i) => SPACE.flattenInto(o, flat, i * SPACE.flatDim));
    const seen = net.probabilities({ rows: env.sent.length, flat });
    const blind = net.probabilities({ rows: env.sent.length, flat }, { maskImage: true });
    assert.notDeepEqual([...seen], [...blind], 'the image tokens change the policy output');
  } finally {
    await client?.close();
    await server.close();
    policy.dispose(); // and its network
  }
  assert.equal(tf.memory().numTensors, tensors);
});

/** A raw authenticated-less socket that completes a hello with `space`, for messages a RobotClient would never send. */
async function rawRobot(server: BridgeServer, space: Dict, extra: Record<string, unknown> = {}): Promise<{ ws: WebSocket; replies: Array<Record<string, unknown>>; next(): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(server.url);
  const replies: Array<Record<string, unknown>> = [];
  ws.on('message', (d, isBinary) => {
    const m = isBinary ? null : (JSON.parse(String(d)) as Record<string, unknown>);
    if (m && (m.type === 'welcome' || m.type === 'error')) replies.push(m); // not heartbeats, resets, actions
  });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, robotId: 'raw', observationSpace: space.toJSON(), actionSpace: new Discrete(3).toJSON(), controlRateHz: 50, safeAction: [0], ...extra }));
  let seen = 0;
  const next = async (): Promise<Record<string, unknown>> => {
    const t0 = performance.now();
    while (replies.length <= seen) {
      assert.ok(performance.now() - t0 < 10_000, 'a reply within 10 s');
      await sleep(5);
    }
    return replies[seen++];
  };
  return { ws, replies, next };
}

test('camera limits: an image over the documented size is refused at hello (BAD_SPACE), so is a Text longer than 1,024 characters; bad pixels, bad characters and unagreed packed frames get their codes', { timeout: 60_000 }, async () => {
  const server = await BridgeServer.listen({ port: 0 });
  try {
    // 97 x 96 x 3 is one row over the 96 x 96 x 3 image limit.
    const big = await rawRobot(server, new Dict({ state: new Box(-1, 1, [2]), image: new Box(0, 255, [97, 96, 3], 'uint8') }));
    const r1 = await big.next();
    assert.equal(r1.code, 'BAD_SPACE');
    assert.match(String(r1.message), new RegExp(`observationSpace\\.spaces\\.image\\.shape: expected at most ${MAX_IMAGE_BYTES} numbers in a uint8 Box \\(the bridge's image size limit: 96 x 96 x 3\\), got \\[97, 96, 3\\]`));
    big.ws.close();
    const long = await rawRobot(server, new Dict({ state: new Box(-1, 1, [2]), instruction: new Text(1025) }));
    const r2 = await long.next();
    assert.equal(r2.code, 'BAD_SPACE');
    assert.match(String(r2.message), /instruction\.maxLength: expected an integer in \[1, 1024\]/);
    long.ws.close();

    // At the limit the hello is welcome; then what the robot sends is checked against the announced layout.
    const space = new Dict({ state: new Box(-1, 1, [2]), instruction: new Text(8, { charset: 'ab ' }), image: new Box(0, 255, [96, 96, 3], 'uint8') });
    const ok = await rawRobot(server, space, { binary: true });
    assert.equal((await ok.next()).type, 'welcome');
    assert.equal(ok.replies[0].packedFrames, undefined, 'no packed frames unless the hello asked');
    const remote = server.robot('raw')!;
    const step = remote.reset({ seed: 0 }).catch((e: unknown) => e);
    const seq = remote.pendingSeq!;
    const flat = space.flatten({ image: new Uint8Array(96 * 96 * 3), instruction: 'ab', state: Float32Array.of(0, 0) }) as Float32Array;
    const layout = obsLayout(space);
    // An instruction index past the charset's pad (an instruction the Text space cannot hold).
    const badText = flat.slice();
    badText[96 * 96 * 3 + 1] = 9;
    ok.ws.send(encodeFrame(FRAME_KIND_OBS, seq, badText));
    const r3 = await ok.next();
    assert.equal(r3.code, 'BAD_OBSERVATION');
    assert.match(String(r3.message), /^RemoteEnv\(raw\)\.obs\.obs\[27649\]: expected a character index in \[0, 3\]/);
    // A pixel over 255 (sent as float32: the unpacked frame can carry any number).
    const badPixel = flat.slice();
    badPixel[10] = 256;
    ok.ws.send(encodeFrame(FRAME_KIND_OBS, seq, badPixel));
    const r4 = await ok.next();
    assert.equal(r4.code, 'BAD_OBSERVATION');
    assert.match(String(r4.message), /^RemoteEnv\(raw\)\.obs\.obs\[10\]: expected a pixel: an integer 0-255/);
    // More numbers than announced: an observation of the wrong length.
    ok.ws.send(encodeFrame(FRAME_KIND_OBS, seq, new Float32Array(flat.length + 3)));
    const r5 = await ok.next();
    assert.equal(r5.code, 'BAD_OBSERVATION');
    assert.match(String(r5.message), /expected 27658 numbers for Dict/);
    // A packed frame the hello did not ask for.
    const { values, bytes } = packObs(flat, layout, 't');
    ok.ws.send(encodeFrame(FRAME_KIND_OBS, seq, values, 0, false, false, bytes));
    const r6 = await ok.next();
    assert.equal(r6.code, 'BAD_FRAME');
    assert.match(String(r6.message), /^BridgeServer\.frame\.flags: expected no packed frame/);
    // The good observation still goes through after all that.
    ok.ws.send(encodeFrame(FRAME_KIND_OBS, seq, flat));
    const r = await step;
    assert.ok(!(r instanceof Error), String(r));
    ok.ws.close();

    // Asked for: packed frames are agreed and checked against the layout.
    const packed = await rawRobot(server, space, { binary: true, packedFrames: true, robotId: 'packed' });
    const w = await packed.next();
    assert.equal(w.packedFrames, true);
    const remote2 = server.robot('packed')!;
    const reset2 = remote2.reset({ seed: 0 });
    const seq2 = remote2.pendingSeq!;
    packed.ws.send(encodeFrame(FRAME_KIND_OBS, seq2, values, 0, false, false, bytes.subarray(0, bytes.length - 3)));
    const r7 = await packed.next();
    assert.equal(r7.code, 'BAD_FRAME');
    assert.match(String(r7.message), /^BridgeServer\.frame: expected 10 float32 values \(n\) and 27648 bytes \(m\)/);
    packed.ws.send(encodeFrame(FRAME_KIND_OBS, seq2, values, 0, false, false, bytes));
    const got = await reset2;
    assert.deepEqual((got.obs as { instruction: string }).instruction, 'ab');
    packed.ws.close();
  } finally {
    await server.close();
  }
});
