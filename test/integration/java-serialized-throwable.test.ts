/**
 * The failure causes ebbflow answers in Flink's shape are real Java serializations of
 * org.apache.flink.util.SerializedThrowable: the JDK reads them back (see helpers/java-throwable.ts).
 */
import { describe, expect, it } from 'vitest';
import { flinkFailureCause, javaSerializedThrowable } from '../../api/views/serialized-throwable.js';
import { decodeWithJava } from '../helpers/java-throwable.js';

describe('Java-serialized SerializedThrowable', () => {
  it('is read by ObjectInputStream with its message, original class and stack trace', async () => {
    const long = 'x'.repeat(70_000); // over 65535 bytes: TC_LONGSTRING
    const cases = [
      flinkFailureCause('Error: savepoint target /nope is not writable\n    at write (file.js:1:2)\n    at next (file.js:3:4)'),
      flinkFailureCause('the job is not running (it is restarting); try again when it runs'),
      flinkFailureCause('StorageTimeout: storage call mkdir took longer than 60000 ms: ünïcödé \u0000 nul and 😀 emoji'),
      javaSerializedThrowable(null, 'java.lang.IllegalStateException', long).toString('base64'),
    ];
    const decoded = await decodeWithJava(cases.map((c) => (typeof c === 'string' ? c : c['serialized-throwable'])));
    expect(decoded).toHaveLength(4);
    const [a, b, c, d] = decoded;
    expect(a).toEqual({
      message: 'savepoint target /nope is not writable', originalErrorClassName: 'Error',
      fullStringifiedStackTrace: 'Error: savepoint target /nope is not writable\n    at write (file.js:1:2)\n    at next (file.js:3:4)',
      serializedExceptionNull: true, causeNull: true, stackTraceLength: 0,
    });
    expect(b).toMatchObject({ message: 'the job is not running (it is restarting); try again when it runs', originalErrorClassName: 'EbbflowException' });
    expect(c).toMatchObject({ message: 'storage call mkdir took longer than 60000 ms: ünïcödé \u0000 nul and 😀 emoji', originalErrorClassName: 'StorageTimeout' });
    expect(d).toMatchObject({ message: null, originalErrorClassName: 'java.lang.IllegalStateException', fullStringifiedStackTrace: long });
  });

  it('is decoded without stopping this process\'s event loop (the integration tests\' dispatcher runs in it)', async () => {
    // A synchronous javac/java stalled the in-process dispatcher for seconds on a loaded machine,
    // past its keep-alive timeout: the next request on a kept-alive connection got ECONNRESET.
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 10);
    try {
      const [decoded] = await decodeWithJava([flinkFailureCause('Error: boom')['serialized-throwable']]);
      expect(decoded).toMatchObject({ message: 'boom', originalErrorClassName: 'Error' });
      expect(ticks, 'timers ran while the JVM decoded').toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('has the JSON fields of Flink\'s SerializedThrowableSerializer', () => {
    const cause = flinkFailureCause('Error: boom');
    expect(cause.class).toBe('Error'); // the original class, as Flink's serializer writes it
    expect(cause['stack-trace']).toBe('Error: boom');
    expect(Buffer.from(cause['serialized-throwable'], 'base64').subarray(0, 4).toString('hex')).toBe('aced0005');
  });
});
