import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { LocalNatsServer, freePort } from '../../agents/scale/local-nats-server.js';
import { connectBroker } from '../../agents/scale/broker-connection.js';
import { parseBrokerFlags } from '../../agents/scale/broker-options.js';
import { closeAtEnd } from '../helpers/close-at-end.js';
import { natsSkip } from './broker-helpers.js';

// Connection options pass through to the NATS client; failures are BrokerErrors naming the server (no secrets).
const skip = natsSkip();
const cert = fileURLToPath(new URL('../bridge/tls/localhost-cert.pem', import.meta.url));
const key = fileURLToPath(new URL('../bridge/tls/localhost-key.pem', import.meta.url));

test('TLS: tls:// with --broker-tls-ca connects; without the CA the error names the server and TLS', { skip }, async () => {
  const server = closeAtEnd(await LocalNatsServer.start({ tls: { certFile: cert, keyFile: key } }));
  const ok = parseBrokerFlags({ broker: server.url, brokerTlsCa: cert }, 'lamkit worker', {})!;
  const nc = await connectBroker(ok, 'lamkit worker --broker', 'test');
  assert.equal(nc.isClosed(), false);
  await nc.close();
  const noCa = parseBrokerFlags({ broker: server.url }, 'lamkit worker', {})!;
  await assert.rejects(connectBroker(noCa, 'lamkit worker --broker', 'test'), (err: Error) => {
    assert.equal(err.name, 'BrokerError');
    assert.match(err.message, new RegExp(`^lamkit worker --broker: expected a TLS setup that ${server.url.replace(/[./]/g, '\\$&')} accepts`));
    return true;
  });
  await server.close();
});

test('user/password: the right pair connects, a wrong password is a BrokerError that names the user and the server, never the password', { skip }, async () => {
  const server = closeAtEnd(await LocalNatsServer.start({ user: { name: 'trainer', password: 'pw-right' } }));
  const nc = await connectBroker(parseBrokerFlags({ broker: server.url, brokerUser: 'trainer' }, 'lamkit worker', { LAMKIT_BROKER_PASSWORD: 'pw-right' })!, 'lamkit worker --broker', 'test');
  await nc.close();
  await assert.rejects(connectBroker(parseBrokerFlags({ broker: server.url, brokerUser: 'trainer' }, 'lamkit worker', { LAMKIT_BROKER_PASSWORD: 'pw-wrong' })!, 'lamkit worker --broker', 'test'), (err: Error) => {
    assert.equal(err.name, 'BrokerError');
    assert.ok(err.message.includes(server.url) && err.message.includes('user "trainer"') && !err.message.includes('pw-'), err.message);
    return true;
  });
  await server.close();
});

test('nothing listening: a BrokerError naming the server and how to start one', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  await assert.rejects(connectBroker({ servers: [url], shownServers: url, run: 'x' }, 'lamkit train --broker', 'test'), (err: Error) => {
    assert.equal(err.name, 'BrokerError');
    assert.ok(err.message.startsWith(`lamkit train --broker: expected a NATS server reachable at ${url}, got `) && err.message.includes('nats-server -js -sd'), err.message);
    return true;
  });
});

test('nkey: the seed file of the configured user connects, another seed is refused naming the server', { skip }, async () => {
  const { nkeys } = await import('@nats-io/transport-node');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const user = nkeys.createUser();
  const server = closeAtEnd(await LocalNatsServer.start({ nkeyUser: user.getPublicKey() }));
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-nkey-'));
  try {
    const seed = join(dir, 'user.nk');
    writeFileSync(seed, new TextDecoder().decode(user.getSeed()) + '\n');
    const nc = await connectBroker(parseBrokerFlags({ broker: server.url, brokerNkeySeed: seed }, 'lamkit worker', {})!, 'lamkit worker --broker', 'test');
    await nc.close();
    const other = join(dir, 'other.nk');
    writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await assert.rejects(connectBroker(parseBrokerFlags({ broker: server.url, brokerNkeySeed: other }, 'lamkit worker', {})!, 'lamkit worker --broker', 'test'), (err: Error) => {
      assert.equal(err.name, 'BrokerError');
      assert.ok(err.message.includes(`credentials that ${server.url} accepts`) && err.message.includes('(sent: nkey)'), err.message);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});
