/**
 * The Mesos wire subset (proto/mesos/) and its two encodings: protobuf bytes carry Mesos' field
 * numbers (checked against hand-built bytes), JSON and protobuf decode to the same object, and
 * decoding enforces what the master enforces (required fields anywhere in the tree, enums by name).
 */
import { describe, expect, it } from 'vitest';
import { CallType, EventType, decodeMessage, encodeMessage, JSON_TYPE, PROTOBUF_TYPE } from '../../resourcemanager/mesos/codec.js';
import { MesosWireError } from '../../resourcemanager/mesos/errors.js';
import type { Call, Event } from '../../resourcemanager/mesos/types.js';

const accept: Call = {
  framework_id: { value: 'M-0000' },
  type: 'ACCEPT',
  accept: {
    offer_ids: [{ value: 'M-O17' }],
    operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: 'tm', task_id: { value: 'taskmanager-00001' }, agent_id: { value: 'M-S3' },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: '*' },
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, role: '*' },
      ],
      command: { shell: true, value: 'node main.js', uris: [{ value: 'http://h/a.tgz', extract: true }], environment: { variables: [{ name: 'PORT0', value: '31000' }] } },
    }] } }],
    filters: { refuse_seconds: 5 },
  },
};

describe('Mesos codec', () => {
  it('uses Mesos field numbers: REVIVE is type 5 in field 2, its payload in field 15', () => {
    const bytes = encodeMessage(CallType, { framework_id: { value: 'F' }, type: 'REVIVE', revive: { roles: ['r'] } }, PROTOBUF_TYPE);
    // field 1 (framework_id, len 3: field 1 "F"), field 2 varint 5, field 15 (tag 0x7a) len 3: field 1 "r"
    expect([...bytes]).toEqual([0x0a, 3, 0x0a, 1, 0x46, 0x10, 5, 0x7a, 3, 0x0a, 1, 0x72]);
    const sup = encodeMessage(CallType, { framework_id: { value: 'F' }, type: 'SUPPRESS', suppress: {} }, PROTOBUF_TYPE);
    expect([...sup.subarray(5)]).toEqual([0x10, 12, 0x82, 0x01, 0]); // field 16 needs a two-byte tag
    // TaskState 0 is TASK_STARTING, not STAGING
    const ev = encodeMessage(EventType, { type: 'UPDATE', update: { status: { task_id: { value: 't' }, state: 'TASK_STARTING' } } }, PROTOBUF_TYPE);
    expect(ev.includes(Buffer.from([0x10, 0x00]))).toBe(true);
  });

  it('round-trips a LAUNCH through both encodings to the same object', () => {
    const viaJson = decodeMessage(CallType, encodeMessage(CallType, accept, JSON_TYPE), JSON_TYPE);
    const viaProto = decodeMessage(CallType, encodeMessage(CallType, accept, PROTOBUF_TYPE), PROTOBUF_TYPE);
    expect(viaProto).toEqual(viaJson);
    expect(viaJson).toMatchObject(accept as Record<string, unknown>);
  });

  it('carries bytes as base64 and events in their wrapping', () => {
    const uuid = Buffer.alloc(16, 7).toString('base64');
    const e: Event = { type: 'UPDATE', update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid, source: 'SOURCE_EXECUTOR', timestamp: 1718000000.123 } } };
    for (const ct of [JSON_TYPE, PROTOBUF_TYPE]) {
      const back = decodeMessage<Event>(EventType, encodeMessage(EventType, e, ct), ct);
      expect(back).toEqual(e);
    }
    const offers = decodeMessage<Event>(EventType, Buffer.from('{"type":"OFFERS","offers":{"offers":[{"id":{"value":"O1"},"framework_id":{"value":"F"},"agent_id":{"value":"S1"},"hostname":"h","extra":1}]}}'), JSON_TYPE);
    expect(offers).toEqual({ type: 'OFFERS', offers: { offers: [{ id: { value: 'O1' }, framework_id: { value: 'F' }, agent_id: { value: 'S1' }, hostname: 'h' }] } });
  });

  it('rejects what the master rejects: missing required fields, enum numbers, bad JSON', () => {
    const noAgent = structuredClone(accept);
    delete (noAgent.accept!.operations![0].launch!.task_infos![0] as { agent_id?: unknown }).agent_id;
    expect(() => encodeMessage(CallType, noAgent, JSON_TYPE)).toThrow(/Missing required fields: accept.operations\[0\].launch.task_infos\[0\].agent_id/);
    expect(() => decodeMessage(CallType, Buffer.from('{"type":3}'), JSON_TYPE)).toThrow(/enum must be given by name/);
    expect(() => decodeMessage(CallType, Buffer.from('{"type":'), JSON_TYPE)).toThrow(/Failed to parse body into JSON/);
    expect(() => decodeMessage(CallType, Buffer.from('{"type":"ACCEPT","accept":{"offer_ids":[{}]}}'), JSON_TYPE)).toThrow(MesosWireError);
    // A resource without its required type, in protobuf (request 11 > requests 1 > resources 2 > {name: "cpus"}).
    const bad = Buffer.from([0x5a, 10, 0x0a, 8, 0x12, 6, 0x0a, 4, 0x63, 0x70, 0x75, 0x73]);
    expect(() => decodeMessage(CallType, bad, PROTOBUF_TYPE)).toThrow(MesosWireError);
    // An unknown type name counts as absent (the master then says 'type' must be present).
    expect(decodeMessage(CallType, Buffer.from('{"type":"NOPE"}'), JSON_TYPE)).toEqual({});
  });
});
