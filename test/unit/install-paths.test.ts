/** Process entries: the build's one-module bundles when they exist (they start much faster), the entries otherwise. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { distFile, processEntry } from '../../runtime/install-paths.js';

describe('processEntry', () => {
  it('starts job processes and TaskManagers from the bundles npm run build makes', () => {
    for (const entry of ['taskmanager/main.js', 'jobmaster/main.js', 'dispatcher/fenced-job-process.js', 'dispatcher/plan-worker.js', 'dispatcher/archive-worker.js']) {
      const bundled = distFile(entry.replace(/\.js$/, '.bundle.mjs'));
      expect(existsSync(bundled), `${bundled} (run npm run build)`).toBe(true);
      expect(processEntry(entry)).toBe(bundled);
    }
  });

  it('falls back to the entry itself without a bundle', () => {
    expect(processEntry('cli/main.js')).toBe(distFile('cli/main.js'));
  });
});

describe('processEntry with a stale bundle', () => {
  it('takes the entry when the bundle is older than it (a tsc-only build after a full one)', async () => {
    const { utimesSync, statSync } = await import('node:fs');
    const entry = distFile('taskmanager/main.js');
    const bundled = distFile('taskmanager/main.bundle.mjs');
    const { atime, mtime } = statSync(bundled);
    try {
      const older = new Date(statSync(entry).mtimeMs - 60_000);
      utimesSync(bundled, older, older);
      expect(processEntry('taskmanager/main.js')).toBe(entry);
    } finally {
      utimesSync(bundled, atime, mtime);
    }
    expect(processEntry('taskmanager/main.js')).toBe(bundled);
  });
});
