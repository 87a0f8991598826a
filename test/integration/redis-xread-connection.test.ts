/**
 * The source's reading connection against a real Redis: the entries it parses are exactly what
 * ioredis reads (ASCII or not, short and long strings, changing field names, replies split over
 * many socket reads), an empty read and a timed-out block are null, an error reply fails the read,
 * and a connection killed under it is reopened and the read repeated.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseRedisUrl, RedisReplyError, RedisXreadConnection, type StreamBatch } from '../../runtime/connectors/redis-xread-connection.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const prefix = `ebbtest-xread-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
const conns: RedisXreadConnection[] = [];

function conn(): RedisXreadConnection {
  const c = new RedisXreadConnection(parseRedisUrl(inject('redisUrl'))!);
  conns.push(c);
  return c;
}

/** What ioredis reads, in the connection's form. */
async function viaIoredis(count: number, streams: string[], ids: string[]): Promise<StreamBatch[] | null> {
  const res = (await redis.xread('COUNT', count, 'STREAMS', ...streams, ...ids)) as Array<[string, Array<[string, string[]]>]> | null;
  if (!res) return null;
  return res.map(([stream, raw]) => ({
    stream,
    entries: raw.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return { stream, id, fields };
    }),
  }));
}

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => {
  for (const c of conns) c.close();
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
});

describe('parseRedisUrl', () => {
  it('takes plain redis:// URLs and leaves every other form to ioredis', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380, db: 0, username: undefined, password: undefined });
    expect(parseRedisUrl('redis://u%40x:p%3Aw@redis.example/3')).toEqual({ host: 'redis.example', port: 6379, db: 3, username: 'u@x', password: 'p:w' });
    expect(parseRedisUrl('redis://:secret@[::1]:7000')).toEqual({ host: '::1', port: 7000, db: 0, username: undefined, password: 'secret' });
    for (const other of ['rediss://h:6379', 'redis://h:6379?family=6', '/tmp/redis.sock', 'redis://h/x', 'h:6379', 'not a url']) expect(parseRedisUrl(other)).toBeUndefined();
  });
});

describe('RedisXreadConnection', () => {
  it('reads what ioredis reads, for ASCII and other text, short and long values, in replies of any size', async () => {
    const a = `${prefix}ascii`, u = `${prefix}ünï`;
    const pipe = redis.pipeline();
    for (let i = 0; i < 3000; i++) {
      pipe.xadd(a, '*', 'from', `acct-${i}`, 'to', `acct-${i * 7}`, 'amount', `${i}.${i % 100}`, 'ts', String(1_700_000_000_000 + i), ...(i % 500 === 0 ? ['extra', 'x'.repeat(i % 3000)] : []));
      if (i % 10 === 0) pipe.xadd(u, '*', 'näme', `välue €${i} 🙂`, 'k', 'y'.repeat(i % 40));
    }
    await pipe.exec();
    const c = conn();
    let ids = ['0-0', '0-0'];
    for (let round = 0; round < 5; round++) {
      const got = await c.xread(1000, undefined, [a, u], ids);
      const want = await viaIoredis(1000, [a, u], ids);
      expect(got).toStrictEqual(want);
      if (!got) break;
      ids = [a, u].map((s, i) => got.find((b) => b.stream === s)?.entries.at(-1)?.id ?? ids[i]!);
    }
    expect(await c.xread(10, undefined, [a, u], ids)).toBeNull();
  });

  it('a block that times out is null, and one that an entry ends returns it', async () => {
    const s = `${prefix}block`;
    const c = conn();
    expect(await c.xread(10, 50, [s], ['$'])).toBeNull();
    const read = c.xread(10, 5000, [s], ['0-0']);
    setTimeout(() => { void redis.xadd(s, '*', 'n', '1'); }, 50);
    const got = await read;
    expect(got?.[0]?.entries.map((e) => e.fields)).toEqual([{ n: '1' }]);
  });

  it('an error reply fails the read (and the connection goes on)', async () => {
    const k = `${prefix}not-a-stream`;
    await redis.set(k, 'x');
    const c = conn();
    await expect(c.xread(10, undefined, [k], ['0-0'])).rejects.toThrow(RedisReplyError);
    await expect(c.xread(10, undefined, [k], ['0-0'])).rejects.toThrow(/WRONGTYPE/);
    const s = `${prefix}after-error`;
    await redis.xadd(s, '1-1', 'f', 'v');
    expect(await c.xread(10, undefined, [s], ['0-0'])).toStrictEqual([{ stream: s, entries: [{ stream: s, id: '1-1', fields: { f: 'v' } }] }]);
  });

  it('a connection killed under a blocked read is reopened and the read repeated', async () => {
    const s = `${prefix}killed`;
    const c = conn();
    expect(await c.xread(10, undefined, [s], ['0-0'])).toBeNull(); // connected
    // Find our connection: the one blocked (flags b) in XREAD.
    const read = c.xread(10, 10_000, [s], ['0-0']);
    let killed = 0;
    const deadline = Date.now() + 5000;
    while (killed === 0 && Date.now() < deadline) {
      const list = (await redis.client('LIST')) as string;
      const line = list.split('\n').find((l) => l.includes('cmd=xread') && /\bflags=\w*b/.test(l));
      const id = line?.match(/\bid=(\d+)/)?.[1];
      if (id) killed = Number(await redis.client('KILL', 'ID', id));
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(killed).toBe(1);
    await redis.xadd(s, '5-1', 'after', 'kill');
    expect(await read).toStrictEqual([{ stream: s, entries: [{ stream: s, id: '5-1', fields: { after: 'kill' } }] }]);
  });

  it('a password for a server without one is ignored, as ioredis does', async () => {
    const c = new RedisXreadConnection({ ...parseRedisUrl(inject('redisUrl'))!, password: 'not-set' });
    conns.push(c);
    const s = `${prefix}password`;
    await redis.xadd(s, '1-1', 'f', 'v');
    expect((await c.xread(10, undefined, [s], ['0-0']))?.[0]?.entries).toHaveLength(1);
  });

  it('a server still loading its dataset is asked again, not given up on', async () => {
    // A stand-in server: LOADING to the first XREAD, an empty answer to the next.
    let reads = 0;
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      sockets.push(sock);
      sock.on('data', () => { sock.write(++reads === 1 ? '-LOADING Redis is loading the dataset in memory\r\n' : '*-1\r\n'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const c = new RedisXreadConnection({ host: '127.0.0.1', port, db: 0 });
    try {
      expect(await c.xread(10, undefined, ['s'], ['0-0'])).toBeNull();
      expect(reads).toBe(2);
    } finally {
      c.close();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('close ends a blocked read', async () => {
    const c = conn();
    const read = c.xread(10, 10_000, [`${prefix}never`], ['$']);
    setTimeout(() => c.close(), 20);
    await expect(read).rejects.toThrow(/closed/);
  });
});
