#!/usr/bin/env node
// The S3 test server as its own OS process (test/helpers/s3-server.ts starts it):
//   s3-server-main.mjs --dir D --bucket B [--port P] --parent-pid N
//     s3rver on 127.0.0.1:P (0 = any free port) keeping its objects in D, with bucket B;
//   s3-server-main.mjs --forward HOST:PORT [--port P] --parent-pid N
//     a plain TCP forwarder to another S3 server (EBBFLOW_TEST_S3_URL's MinIO), so that a test can
//     take that one "down" and back up the same way.
// s3rver accepts its built-in key pair and the one in EBBFLOW_TEST_S3_KEYS (`access:secret`, from the
// environment so it is in no argv): distinct keys let the tests tell the secret from the access key.
// Prints one JSON line {"port": n} once it listens. Ends on SIGTERM/SIGINT, and by itself when the
// test process that started it is gone (so a crashed test run leaves no server behind).
import { connect, createServer } from 'node:net';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const port = Number(args.port ?? 0);

let close;
if (args.forward) {
  const sep = args.forward.lastIndexOf(':');
  const host = args.forward.slice(0, sep);
  const target = Number(args.forward.slice(sep + 1));
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(target, host);
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => { client.destroy(); upstream.destroy(); }); }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  console.log(JSON.stringify({ port: server.address().port }));
  close = () => { for (const s of sockets) s.destroy(); server.close(); };
} else {
  if (!args.dir || !args.bucket) { console.error('s3-server-main: --dir and --bucket are required'); process.exit(2); }
  const keys = process.env.EBBFLOW_TEST_S3_KEYS;
  if (keys) AWSAccount.DUMMY_ACCOUNT.createKeyPair(keys.slice(0, keys.indexOf(':')), keys.slice(keys.indexOf(':') + 1));
  const server = new S3rver({ address: '127.0.0.1', port, directory: args.dir, silent: true, configureBuckets: [{ name: args.bucket }] });
  const info = await server.run();
  console.log(JSON.stringify({ port: info.port }));
  close = () => server.close();
}

const stop = () => { Promise.resolve(close()).finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args['parent-pid']) {
  const parent = Number(args['parent-pid']);
  setInterval(() => { if (process.ppid !== parent) process.exit(1); }, 500).unref();
}
