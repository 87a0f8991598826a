// The job view's operations: trigger a savepoint, stop with a savepoint (both polled at
// /jobs/:id/savepoints/:trigger until COMPLETED: location or failure cause), cancel.
import { api } from './api.js';
import { $, setStatus } from './dom.js';

/** Bumped by every operation and by switching jobs, so an older operation's polling stops writing. */
let opRun = 0;
/** The location of the shown job's last completed savepoint (the "run from it" shortcut), or null. */
let lastLocation = null;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const jobPath = (jid) => `/jobs/${encodeURIComponent(jid)}`;
const BUTTONS = ['savepoint-button', 'stop-button', 'jv-cancel-button'];

const status = (text, kind, state) => setStatus('operation-status', text, kind, state);
/** Flink's isStoppable of the shown job (RUNNING): the stop button is enabled only then. */
let stoppable = true;
/** An operation of the shown job is in progress (its buttons stay disabled). */
let busy = false;

/** Enables the action buttons, the stop button only while the job can be stopped. */
function enableButtons() {
  for (const id of BUTTONS) $(id).disabled = id === 'stop-button' && !stoppable;
  $('stop-button').title = stoppable ? '' : 'Only a RUNNING job can be stopped with a savepoint';
}

/** Another job is shown (or none): an earlier operation stops writing, its status is hidden. */
export function resetActions() {
  opRun++;
  status(null);
  lastLocation = null;
  $('use-savepoint').hidden = true;
  busy = false;
  stoppable = true;
  enableButtons();
}

/** Hides the action buttons once the job ended; the stop button follows the job's isStoppable. */
export function updateActions(ended, isStoppable) {
  $('jv-actions').hidden = ended;
  stoppable = isStoppable !== false;
  if (!busy) enableButtons();
}

function targetDirectory() {
  const t = $('sp-target').value.trim();
  return t || undefined;
}

/** Polls a savepoint or stop operation until COMPLETED; its outcome in the status line. */
async function followSavepoint(jid, trigger, what, run) {
  for (;;) {
    const s = await api('GET', `${jobPath(jid)}/savepoints/${encodeURIComponent(trigger)}`);
    if (run !== opRun) return;
    if (s.status && s.status.id === 'COMPLETED') {
      const op = s.operation ?? {};
      if (op['failure-cause']) status(`${what} failed: ${op['failure-cause']['stack-trace']}`, 'error', 'COMPLETED');
      else {
        status(`${what} completed: ${op.location}`, 'ok', 'COMPLETED');
        lastLocation = op.location;
        $('use-savepoint').hidden = false;
      }
      return;
    }
    status(`${what} in progress… (request ${trigger})`, 'info', 'IN_PROGRESS');
    await sleep(500);
    if (run !== opRun) return;
  }
}

/** Runs one operation with every action button disabled; `refresh` redraws the view afterwards. */
async function operate(jid, what, start, refresh) {
  const run = ++opRun;
  busy = true;
  for (const id of BUTTONS) $(id).disabled = true;
  status(`${what}: requesting…`, 'info', 'REQUESTED');
  try {
    await start(run);
  } catch (err) {
    if (run === opRun) status(`${what} failed: ${err.message}`, 'error', 'FAILED');
  } finally {
    if (run === opRun) { busy = false; enableButtons(); }
  }
  await refresh().catch((err) => status(`Refresh after ${what.toLowerCase()} failed: ${err.message}`, 'error', 'FAILED'));
}

export function triggerSavepoint(jid, refresh) {
  return operate(jid, 'Savepoint', async (run) => {
    const dir = targetDirectory();
    const res = await api('POST', `${jobPath(jid)}/savepoints`, dir ? { 'target-directory': dir } : {});
    await followSavepoint(jid, res['request-id'], 'Savepoint', run);
  }, refresh);
}

export function stopWithSavepoint(jid, refresh) {
  return operate(jid, 'Stop with savepoint', async (run) => {
    const dir = targetDirectory();
    // drain: event time is advanced to the end first, so every open window fires into the savepoint.
    const body = { ...(dir ? { targetDirectory: dir } : {}), ...($('stop-drain').checked ? { drain: true } : {}) };
    const res = await api('POST', `${jobPath(jid)}/stop`, body);
    await followSavepoint(jid, res['request-id'], 'Stop with savepoint', run);
  }, refresh);
}

export function cancelShownJob(jid, refresh) {
  return operate(jid, 'Cancel', async (run) => {
    await api('PATCH', `${jobPath(jid)}?mode=cancel`);
    if (run === opRun) status(`Cancellation of job ${jid} requested.`, 'ok', 'COMPLETED');
  }, refresh);
}

/**
 * Puts the last savepoint's location into the run form of the job's bundle (`jarId`) and moves the
 * focus there; the operator then sets the parallelism and presses Run.
 */
export function useSavepoint(jarId) {
  const row = document.querySelector(`[data-testid=jar-row][data-jar-id="${CSS.escape(String(jarId))}"]`);
  if (!lastLocation) return;
  if (!row) {
    status(`The job's bundle ${jarId} is no longer uploaded; upload it again to run from ${lastLocation}.`, 'error', 'COMPLETED');
    return;
  }
  const input = row.querySelector('[data-testid=savepoint-path]');
  input.value = lastLocation;
  input.focus();
  input.scrollIntoView({ block: 'center' });
}
