#!/usr/bin/env node
// After tsc: make the CLI executable, publish the example as a single-file
// uploadable bundle at dist/examples/fraud-detection.mjs, and bundle the
// TaskManager with its dependencies into one ES module,
// dist/artifacts/ebbflow-taskmanager.mjs, which the Mesos driver serves to the
// fetcher (agents need only Node.js 20). Then the entries of the processes the
// dispatcher and the job process start on this host (the job process and local
// TaskManagers), each bundled into one module next to its entry
// (`<entry>.bundle.mjs`): one file to read and compile instead of hundreds to
// resolve, which takes most of their start-up. The AWS SDK stays outside them
// (loaded from node_modules only when a job uses S3).
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

const SHIM = join(root, 'scripts/runtime-shim.mjs');
const REQUIRE_BANNER = "import { createRequire as __ebbflowRequire } from 'node:module'; const require = __ebbflowRequire(import.meta.url);";
for (const entry of ['taskmanager/main.js', 'jobmaster/main.js', 'dispatcher/fenced-job-process.js', 'dispatcher/plan-worker.js', 'dispatcher/archive-worker.js']) {
  const file = join(root, 'dist', entry);
  if (!existsSync(file)) continue;
  await build({
    entryPoints: [file],
    outfile: file.replace(/\.js$/, '.bundle.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    inject: [SHIM],
    banner: { js: REQUIRE_BANNER },
    external: ['@aws-sdk/*', '@smithy/*', 'msgpackr-extract', '*.node'],
    logLevel: 'warning',
    legalComments: 'eof',
  });
}
