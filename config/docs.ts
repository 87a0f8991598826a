/**
 * The README's option tables, rendered from the declarations, and the check
 * that a document's generated blocks are current. A block sits between
 * `<!-- options:<name>:begin -->` and `<!-- options:<name>:end -->`; the text
 * around it is left as it is.
 */
import { defaultOf, type OptionDecl } from './option.js';

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** How the README shows an option's default. */
export function defaultText(d: OptionDecl): string {
  if (d.defaultDoc) return d.defaultDoc;
  if (d.default === undefined || typeof d.default === 'function') return 'none';
  const v = defaultOf(d);
  if (d.type === 'duration') return `${code(String(v))} ms`;
  if (d.type === 'string' && v === '') return '`""`';
  return code(String(v));
}

/** The long flag (`--port`), or what `cliDoc` says. */
function flagText(d: OptionDecl): string {
  if (d.cliDoc) return code(d.cliDoc);
  const long = d.cli?.flags.split(/[ ,]+/).find((f) => f.startsWith('--'));
  return long ? code(long) : '';
}

/**
 * A table of configuration keys: key | default | meaning. `aliases` adds, per key, the flags and
 * env vars that also set it (e.g. `mesos.master` ← `--mesos-master`, `EBBFLOW_MESOS_MASTER`).
 */
export function renderKeyTable(decls: readonly OptionDecl[], aliases: Readonly<Record<string, readonly string[]>> = {}): string {
  const rows = decls.filter((d) => !d.hidden).map((d) => {
    const also = aliases[d.key]?.length ? ` (${aliases[d.key]!.map(code).join(', ')})` : '';
    return `| ${code(d.key)}${also} | ${cell(defaultText(d))} | ${cell(d.doc)} |`;
  });
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The dispatcher's table: flag | env | default | meaning, for options settable by a flag or env var. */
export function renderDispatcherTable(decls: readonly OptionDecl[]): string {
  const rows = decls.filter((d) => !d.hidden && (d.cli || d.env)).map((d) =>
    `| ${flagText(d)} | ${d.env ? code(d.env) : ''} | ${cell(defaultText(d))} | ${cell(d.doc)} |`.replace(/\| {2}\|/g, '| |'));
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const marker = (name: string, end: 'begin' | 'end') => `<!-- options:${name}:${end} -->`;

/**
 * Replaces each named block of `markdown` with its new content. Returns the new text and the names
 * of the blocks that changed; a block whose markers are missing is an error (the docs lost a table).
 */
export function updateBlocks(markdown: string, blocks: Readonly<Record<string, string>>): { text: string; changed: string[] } {
  let text = markdown;
  const changed: string[] = [];
  for (const [name, content] of Object.entries(blocks)) {
    const begin = text.indexOf(marker(name, 'begin'));
    const end = text.indexOf(marker(name, 'end'));
    if (begin < 0 || end < begin) throw new Error(`the markers ${marker(name, 'begin')} … ${marker(name, 'end')} are missing`);
    const from = begin + marker(name, 'begin').length;
    const replacement = `\n${content}\n`;
    if (text.slice(from, end) !== replacement) changed.push(name);
    text = text.slice(0, from) + replacement + text.slice(end);
  }
  return { text, changed };
}
