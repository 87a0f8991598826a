// The web form's DOM helpers: element lookup and creation, the message line, time formatting.
// Server data is only ever put into the page through textContent / value, never as HTML.

export const TERMINAL = new Set(['CANCELED', 'FINISHED', 'FAILED']);

export const $ = (id) => document.getElementById(id);

/** Creates an element with optional attributes and text. */
export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

let messageSource = '';

/** Shows one message; kind is 'ok', 'error' or 'info'. `source` lets the poller clear only its own errors. */
export function showMessage(text, kind = 'info', source = 'user') {
  const m = $('message');
  m.textContent = text;
  m.dataset.kind = kind;
  m.className = `message ${kind}`;
  m.hidden = false;
  messageSource = source;
}

/**
 * A refresh of the page's data failed: shown like the poller's own failure (source 'poll'), so the
 * next successful poll clears it.
 */
export function refreshFailed(err) {
  showMessage(`Refresh failed: ${err.message}`, 'error', 'poll');
}

export function clearMessage(source) {
  if (source && source !== messageSource) return;
  const m = $('message');
  m.hidden = true;
  m.textContent = '';
  messageSource = '';
}

export function formatTime(ms) {
  if (typeof ms !== 'number' || ms <= 0) return '–';
  return new Date(ms).toLocaleString();
}

export function formatDuration(ms) {
  if (typeof ms !== 'number' || ms < 0) return '–';
  if (ms < 1000) return `${ms} ms`;
  let s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes and optional text (CSP: classes, never style attributes). */
export function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** 1234567 → "1.2 MB"; '–' when not a number. */
export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : String(n)} ${units[i]}`;
}

/** A rate or count, short: 12, 3.4k, 1.2M; '–' when not a number. */
export function formatNumber(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Shows an operation's progress or outcome in a status element; kind 'ok', 'error' or 'info' (text null hides it). */
export function setStatus(id, text, kind = 'info', state = '') {
  const s = $(id);
  s.hidden = text === null;
  s.textContent = text ?? '';
  s.className = `message ${kind}`;
  s.dataset.kind = kind;
  s.dataset.state = state;
}

/**
 * Puts `nodes` first in `parent`, in this order, moving only those out of place. Re-appending a row
 * that is already where it belongs would detach it for a moment, and the browser takes the focus
 * away from a field inside a detached element: someone typing a value while the table refreshes
 * would lose the focus (and a keystroke in flight) at every refresh.
 */
export function placeInOrder(parent, nodes) {
  let next = parent.firstChild;
  for (const node of nodes) {
    if (node === next) next = next.nextSibling;
    else parent.insertBefore(node, next);
  }
}
