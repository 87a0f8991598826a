/**
 * A failure cause as Flink's REST client reads it: Flink's SerializedThrowableSerializer JSON, whose
 * `serialized-throwable` is the base64 of a Java-serialized `org.apache.flink.util.SerializedThrowable`
 * (Flink's SerializedThrowableDeserializer reads only that field, with ObjectInputStream; a null
 * there makes Flink's client fail on the answer and keep polling until its timeout).
 *
 * The bytes follow the Java Object Serialization Stream Protocol (magic 0xACED, version 5):
 * one TC_OBJECT whose class descriptors are SerializedThrowable → Exception → Throwable, with the
 * serialVersionUIDs and the non-transient instance fields of those classes (Flink's
 * SerializedThrowable: serializedException byte[], originalErrorClassName, fullStringifiedStackTrace;
 * Throwable: cause, detailMessage, stackTrace, suppressedExceptions). `serializedException` is null,
 * which Flink reads as "the original error could not be serialized" and then uses the
 * SerializedThrowable itself; `stackTrace` null reads as an empty stack trace (JDK 7+), `cause` null
 * as no cause. test/integration/java-serialized-throwable.test.ts reads the bytes with the JDK.
 */

const FLINK_SERIALIZED_THROWABLE = 'org.apache.flink.util.SerializedThrowable';
const SUID = {
  serializedThrowable: 7284183123441947635n,
  exception: -3387516993124229948n,
  throwable: -3042686055658047285n,
};

const TC_NULL = 0x70;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ENDBLOCKDATA = 0x78;
const TC_LONGSTRING = 0x7c;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;

/** Java's "modified UTF-8" (DataOutput.writeUTF): UTF-16 code units, U+0000 as two bytes, no 4-byte forms. */
function modifiedUtf8(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}

class StreamWriter {
  private readonly parts: Buffer[] = [];
  u8(n: number): void { this.parts.push(Buffer.from([n])); }
  u16(n: number): void { const b = Buffer.alloc(2); b.writeUInt16BE(n); this.parts.push(b); }
  i64(n: bigint): void { const b = Buffer.alloc(8); b.writeBigInt64BE(n); this.parts.push(b); }
  /** A class or field name (writeUTF: u2 length). */
  utf(s: string): void { const b = modifiedUtf8(s); this.u16(b.length); this.parts.push(b); }
  /** A String object: TC_STRING, or TC_LONGSTRING over 65535 bytes. */
  string(s: string): void {
    const b = modifiedUtf8(s);
    if (b.length <= 0xffff) { this.u8(TC_STRING); this.u16(b.length); } else { this.u8(TC_LONGSTRING); const l = Buffer.alloc(8); l.writeBigInt64BE(BigInt(b.length)); this.parts.push(l); }
    this.parts.push(b);
  }
  nullableString(s: string | null): void { if (s === null) this.u8(TC_NULL); else this.string(s); }
  /** A class descriptor without annotations; `fields` in Java's order (primitives first, then by name); the superclass follows. */
  classDesc(name: string, suid: bigint, flags: number, fields: Array<[name: string, signature: string]>): void {
    this.u8(TC_CLASSDESC);
    this.utf(name);
    this.i64(suid);
    this.u8(flags);
    this.u16(fields.length);
    for (const [field, sig] of fields) {
      this.u8(sig.charCodeAt(0));
      this.utf(field);
      this.string(sig); // object and array fields name their type as a String object (each a new handle; never referenced back)
    }
    this.u8(TC_ENDBLOCKDATA);
  }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}

/** The Java serialization of a SerializedThrowable with this message, original class name and printed stack trace. */
export function javaSerializedThrowable(message: string | null, originalClassName: string, stackTrace: string): Buffer {
  const w = new StreamWriter();
  w.u16(0xaced);
  w.u16(5);
  w.u8(TC_OBJECT);
  w.classDesc(FLINK_SERIALIZED_THROWABLE, SUID.serializedThrowable, SC_SERIALIZABLE, [
    ['fullStringifiedStackTrace', 'Ljava/lang/String;'],
    ['originalErrorClassName', 'Ljava/lang/String;'],
    ['serializedException', '[B'],
  ]);
  w.classDesc('java.lang.Exception', SUID.exception, SC_SERIALIZABLE, []);
  // Throwable has a writeObject method, so its data ends with an (empty) block of annotations.
  w.classDesc('java.lang.Throwable', SUID.throwable, SC_SERIALIZABLE | SC_WRITE_METHOD, [
    ['cause', 'Ljava/lang/Throwable;'],
    ['detailMessage', 'Ljava/lang/String;'],
    ['stackTrace', '[Ljava/lang/StackTraceElement;'],
    ['suppressedExceptions', 'Ljava/util/List;'],
  ]);
  w.u8(TC_NULL); // Throwable's superclass (Object) is not serializable
  // Class data, from the topmost serializable class down.
  w.u8(TC_NULL); // cause
  w.nullableString(message); // detailMessage
  w.u8(TC_NULL); // stackTrace
  w.u8(TC_NULL); // suppressedExceptions
  w.u8(TC_ENDBLOCKDATA);
  // Exception: no fields. SerializedThrowable:
  w.string(stackTrace);
  w.string(originalClassName);
  w.u8(TC_NULL); // serializedException
  return w.bytes();
}

/** Flink's SerializedThrowable JSON (SerializedThrowableSerializer's fields) for a cause. */
export interface FlinkSerializedThrowable {
  class: string;
  'stack-trace': string;
  'serialized-throwable': string;
}

/**
 * ebbflow's failure causes are text: `Class: message` on the first line, then the stack (as
 * describeError writes them), or just a sentence. The class is the text before the first `:` when
 * it looks like a class name, else `fallbackClass`.
 */
export function flinkFailureCause(cause: string, fallbackClass = 'EbbflowException'): FlinkSerializedThrowable {
  const firstLine = cause.split('\n')[0]!;
  const m = /^([A-Za-z_$][\w$.]*):\s?(.*)$/.exec(firstLine);
  const originalClass = m ? m[1]! : fallbackClass;
  const message = m ? [m[2]!, ...cause.split('\n').slice(1).filter((l) => !/^\s+at /.test(l))].join('\n').trim() : cause;
  const stackTrace = m ? cause : `${fallbackClass}: ${cause}`;
  return {
    class: originalClass, // SerializedThrowableSerializer writes getOriginalErrorClassName() here
    'stack-trace': stackTrace,
    'serialized-throwable': javaSerializedThrowable(message, originalClass, stackTrace).toString('base64'),
  };
}
