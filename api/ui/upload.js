// The web form's bundle views: the upload form, and the bundle list with run and delete.
import { api } from './api.js';
import { $, el, formatTime, placeInOrder, refreshFailed, showMessage } from './dom.js';
import { refreshJobs } from './job-list.js';

/**
 * Splits program arguments on whitespace. Double or single quotes group text (also inside a word,
 * as in --name="a b"); inside double quotes \" and \\ are escapes. Throws on an unclosed quote.
 */
export function splitArgs(s) {
  const out = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (quote === '"' && c === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Program arguments: unclosed ${quote} quote`);
  if (inWord) out.push(cur);
  return out;
}

/** Rows by jar id, kept across refreshes so typed-in arguments survive. */
const jarRows = new Map();

function makeJarRow(jar) {
  const tr = el('tr', { 'data-testid': 'jar-row', 'data-jar-id': jar.id });
  tr.append(el('td', { 'data-testid': 'jar-name' }, jar.name));
  tr.append(el('td', { className: 'id', 'data-testid': 'jar-id' }, jar.id));
  tr.append(el('td', { 'data-testid': 'jar-uploaded' }, formatTime(jar.uploaded)));

  const par = el('input', { type: 'number', min: 1, step: 1, value: 1, 'data-testid': 'parallelism', 'aria-label': 'Parallelism', className: 'par' });
  const args = el('input', { type: 'text', 'data-testid': 'args', 'aria-label': 'Program arguments', placeholder: '--key value "quoted arg"', spellcheck: 'false' });
  const entry = el('input', { type: 'text', 'data-testid': 'entry', 'aria-label': 'Entry export', placeholder: 'default', spellcheck: 'false', className: 'entry' });
  const defaultEntry = jar.entry && jar.entry[0] && jar.entry[0].name;
  if (defaultEntry && defaultEntry !== 'default') entry.title = `Bundle entry: ${defaultEntry}`;
  for (const input of [par, args, entry]) {
    const td = el('td');
    td.append(input);
    tr.append(td);
  }
  // Start from a savepoint (or retained checkpoint) directory; Flink's allowNonRestoredState with it.
  const savepoint = el('input', { type: 'text', 'data-testid': 'savepoint-path', 'aria-label': 'Savepoint path', placeholder: 'none', spellcheck: 'false' });
  const allowNonRestored = el('input', { type: 'checkbox', 'data-testid': 'allow-non-restored' });
  const allowLabel = el('label', { className: 'check' });
  allowLabel.append(allowNonRestored, ' allow non-restored state');
  const spCell = el('td', { className: 'savepoint' });
  spCell.append(savepoint, allowLabel);
  tr.append(spCell);

  const run = el('button', { type: 'button', 'data-testid': 'run-button' }, 'Run');
  const del = el('button', { type: 'button', 'data-testid': 'delete-button', className: 'secondary' }, 'Delete');
  run.addEventListener('click', () => runJar(jar, { par, args, entry, savepoint, allowNonRestored, run }));
  del.addEventListener('click', () => deleteJar(jar, del));
  const actions = el('td', { className: 'actions' });
  actions.append(run, del);
  tr.append(actions);
  return tr;
}

let jarsAsked = 0;
let jarsShown = 0;

export async function refreshJars() {
  const seq = ++jarsAsked;
  const data = await api('GET', '/jars');
  if (seq < jarsShown) return; // a newer answer is already on the page
  jarsShown = seq;
  const files = Array.isArray(data.files) ? [...data.files] : [];
  files.sort((a, b) => (b.uploaded ?? 0) - (a.uploaded ?? 0));
  const body = $('jars-body');
  const seen = new Set();
  const order = [];
  for (const jar of files) {
    seen.add(jar.id);
    let row = jarRows.get(jar.id);
    if (!row) {
      row = makeJarRow(jar);
      jarRows.set(jar.id, row);
    }
    order.push(row);
  }
  placeInOrder(body, order); // newest first
  for (const [id, row] of jarRows) {
    if (!seen.has(id)) {
      row.remove();
      jarRows.delete(id);
    }
  }
  $('jars-empty').hidden = files.length > 0;
}

async function runJar(jar, { par, args, entry, savepoint, allowNonRestored, run }) {
  const parallelism = Number(par.value);
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    showMessage('Parallelism must be a whole number of at least 1.', 'error');
    return;
  }
  let programArgsList;
  try {
    programArgsList = splitArgs(args.value);
  } catch (err) {
    showMessage(err.message, 'error');
    return;
  }
  const body = { parallelism, programArgsList };
  if (entry.value.trim()) body.entryClass = entry.value.trim();
  if (savepoint.value.trim()) {
    body.savepointPath = savepoint.value.trim();
    body.allowNonRestoredState = allowNonRestored.checked;
  } else if (allowNonRestored.checked) {
    showMessage('"Allow non-restored state" needs a savepoint path.', 'error');
    return;
  }
  run.disabled = true;
  run.textContent = 'Starting…';
  showMessage(`Starting ${jar.name}${body.savepointPath ? ` from ${body.savepointPath}` : ''}…`, 'info');
  try {
    const res = await api('POST', `/jars/${encodeURIComponent(jar.id)}/run`, body);
    showMessage(`Started job ${res.jobid} from ${jar.name}.`, 'ok');
    await refreshJobs().catch(refreshFailed);
  } catch (err) {
    showMessage(`Run failed: ${err.message}`, 'error');
  } finally {
    run.disabled = false;
    run.textContent = 'Run';
  }
}

async function deleteJar(jar, button) {
  if (!window.confirm(`Delete bundle ${jar.name}?`)) return;
  button.disabled = true;
  try {
    await api('DELETE', `/jars/${encodeURIComponent(jar.id)}`);
    showMessage(`Deleted ${jar.name}.`, 'ok');
  } catch (err) {
    showMessage(`Delete failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
  await refreshJars().catch((err) => showMessage(err.message, 'error'));
}

export async function upload(event) {
  event.preventDefault();
  const input = $('upload-file');
  const file = input.files && input.files[0];
  if (!file) {
    showMessage('Choose a bundle file first (.js, .mjs, .zip, .jar, .tgz).', 'error');
    return;
  }
  const form = new FormData();
  form.append('jarfile', file, file.name);
  const button = $('upload-button');
  button.disabled = true;
  try {
    const res = await api('POST', '/jars/upload', form);
    showMessage(`Uploaded ${file.name} as ${res.filename}.`, 'ok');
    input.value = '';
  } catch (err) {
    showMessage(`Upload failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
  await refreshJars().catch((err) => showMessage(err.message, 'error'));
}
