// Worker thread of MessageParsePool (parse-pool.ts): decodes, shape-checks, parses and validates large
// JSON text messages off the server's event loop and answers with a compact result.
import { parentPort } from 'node:worker_threads';
import { parseRobotMessage, type ParseRequest } from './parse-pool.js';

const port = parentPort;
if (port) port.on('message', (req: ParseRequest) => {
  const reply = parseRobotMessage(new Uint8Array(req.bytes), req.where);
  port.postMessage({ id: req.id, ...reply }, reply.ok && reply.msg.type === 'obs' ? [reply.msg.obs.buffer as ArrayBuffer] : []);
});
port?.postMessage({ ready: true });
