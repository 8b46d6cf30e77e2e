// A hostile but authenticated robot, run in a worker thread (its own event loop, like a separate process):
// it completes the handshake, then sends `message` (valid size, expensive to parse) as fast as the socket takes it.
// workerData: { url, token, hello, message, maxBufferedBytes }. Post 'stop' to end; it answers { sent, replies, closeCode }.
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

const { url, token, hello, message, maxBufferedBytes = 4 << 20 } = workerData;
const payload = Buffer.from(message, 'utf8');
const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
let sent = 0;
let replies = 0;
let welcomed = false;
let stopped = false;
let closeCode = null;
ws.on('error', () => {});
ws.on('close', (code) => (closeCode = code));
ws.on('open', () => ws.send(JSON.stringify(hello)));
ws.on('message', (data) => {
  if (!welcomed) {
    welcomed = JSON.parse(String(data)).type === 'welcome';
    if (welcomed) {
      parentPort.postMessage({ welcomed: true });
      flood();
    }
    return;
  }
  replies++;
});
function flood() {
  if (stopped || ws.readyState !== WebSocket.OPEN) return;
  while (ws.bufferedAmount < maxBufferedBytes) {
    ws.send(payload, { binary: false });
    sent++;
  }
  setTimeout(flood, 1);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  parentPort.postMessage({ sent, replies, closeCode });
  ws.terminate();
  parentPort.close();
});
