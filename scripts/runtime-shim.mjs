// Injected first into dist/artifacts/ebbflow-taskmanager.mjs: inside one bundled
// file protobufjs cannot `require("long")` by itself, so 64-bit fields would
// decode as plain numbers; hand it Long explicitly.
import Long from 'long';
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = Long;
protobuf.configure();
