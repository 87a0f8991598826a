#!/usr/bin/env node
// After tsc: make the CLI executable, publish the example as a single-file
// uploadable bundle at dist/examples/fraud-detection.mjs, and bundle the
// TaskManager with its dependencies into one ES module,
// dist/artifacts/ebbflow-taskmanager.mjs, which the Mesos driver serves to the
// fetcher (agents need only Node.js 20).
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
if (existsSync(cli)) chmodSync(cli, 0o755);
const job = join(root, 'dist/examples/fraud-detection/job.js');
if (existsSync(job)) copyFileSync(job, join(root, 'dist/examples/fraud-detection.mjs'));

await build({
  entryPoints: [join(root, 'dist/taskmanager/main.js')],
  outfile: join(root, 'dist/artifacts/ebbflow-taskmanager.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  inject: [join(root, 'scripts/runtime-shim.mjs')],
  // CommonJS dependencies call require(); give the ES module one.
  banner: { js: "import { createRequire as __ebbflowRequire } from 'node:module'; const require = __ebbflowRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'eof',
});
