#!/usr/bin/env node
// After tsc: make the CLI executable and publish the example as a single-file
// uploadable bundle at dist/examples/fraud-detection.mjs.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
if (existsSync(cli)) chmodSync(cli, 0o755);
const job = join(root, 'dist/examples/fraud-detection/job.js');
if (existsSync(job)) copyFileSync(job, join(root, 'dist/examples/fraud-detection.mjs'));
