/** The Mesos v1 scheduler API driver (in progress): so far the RecordIO framing of its event stream. */
export { DEFAULT_MAX_RECORD_BYTES, encodeRecord, RecordIODecoder, RecordIOError } from './recordio.js';
