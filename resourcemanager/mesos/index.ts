/** The Mesos v1 scheduler API driver: wire codec, RecordIO framing, client, launch coordinator, task monitor. */
export { DEFAULT_MAX_RECORD_BYTES, encodeRecord, RecordIODecoder } from './recordio.js';
export { CallType, EventType, checkJson, decodeMessage, encodeMessage, JSON_TYPE, PROTOBUF_TYPE, type ContentType } from './codec.js';
export * from './errors.js';
export type * from './types.js';
export { mesosProvider } from './mesos-provider.js';
export { MESOS_OPTIONS } from './mesos-options.js';
