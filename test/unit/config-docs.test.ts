/**
 * The README's option tables are generated from the declarations: the check finds a stale or missing
 * table, regeneration fixes it and leaves the text around it alone, and the committed README is current.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC_FILES, configDocBlocks, updateConfigDocs } from '../../cli/config-docs.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const names = CONFIG_DOC_FILES['README.md']!;

describe('generated option tables', () => {
  it('finds the committed README current', () => {
    expect(updateConfigDocs(readme, names).changed).toEqual([]);
  });

  it('finds a table edited by hand stale, and regenerating restores it without touching the text around it', () => {
    const edited = readme.replace('| `heartbeat.timeout` | `5000` ms |', '| `heartbeat.timeout` | `4000` ms |').replace('max parallelism, 128 by default', 'max parallelism, 128 by default!');
    expect(edited).not.toBe(readme);
    const { text, changed } = updateConfigDocs(edited, names);
    expect(changed).toEqual(['job']);
    expect(text).toBe(readme.replace('max parallelism, 128 by default', 'max parallelism, 128 by default!'));
  });

  it('lists every declared key once and fails when a table\'s markers are gone', () => {
    const blocks = configDocBlocks();
    expect(blocks.job).toContain('| `execution.checkpointing.interval` | `1000` ms |');
    expect(blocks.mesos).toContain('| `mesos.master` (`--mesos-master`, `EBBFLOW_MESOS_MASTER`) | none |');
    expect(blocks.dispatcher).toContain('| `--port` | `EBBFLOW_PORT` | `8081` | REST port |');
    expect(blocks.dispatcher).toContain('| | `EBBFLOW_TASKMANAGER_SLOTS` | `1` | slots per TaskManager |');
    expect(() => updateConfigDocs(readme.replace('<!-- options:mesos:end -->', ''), names)).toThrow(/options:mesos:begin/);
  });
});
