/**
 * A robot on the WHATWG WebSocket API (what browsers have), run by
 * browser-client.test.ts as `node --experimental-websocket`: RobotClient
 * finds `globalThis.WebSocket`, sends the token as `?token=` and receives
 * binary frames as ArrayBuffers, exactly as in a browser.
 */
import { RobotClient } from '../../src/bridge/robot-client.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { LineEnv } from './fixtures.js';

const [url, token] = process.argv.slice(2);
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') throw new Error('run with --experimental-websocket');
const env = new LineEnv();
const client = await RobotClient.connect({ url, token, robotId: 'browser-like', observationSpace: env.observationSpace, actionSpace: env.actionSpace, controlRateHz: 100, safeAction: [0], handler: envRobotHandler(env) });
process.stdout.write('connected\n');
client.on('estop', async () => {
  process.stdout.write(`estop lastAction=${env.lastAction}\n`);
  await client.close();
  process.exit(0);
});
