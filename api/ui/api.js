// The web form's REST client: one call with the token and the X-Ebbflow-Request marker, errors as ApiError.
import { $ } from './dom.js';

function token() {
  return $('api-token').value.trim();
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headersFor() {
  // Marks the call as the web form's own (the dispatcher refuses state changes from other pages).
  const headers = { 'X-Ebbflow-Request': '1' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  return headers;
}

/** Calls the API; resolves to the parsed JSON body or rejects with the server's `errors` text. */
export async function api(method, path, body) {
  const headers = headersFor();
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the dispatcher: ${err.message}`);
  }
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : {}; } catch { data = undefined; }
  if (!res.ok) {
    const errors = data && Array.isArray(data.errors) ? data.errors.map(String) : [];
    const detail = errors.length ? errors.join('; ') : (text.trim().slice(0, 300) || res.statusText);
    throw new ApiError(res.status, `${res.status} ${res.statusText || 'error'}: ${detail}`);
  }
  if (data === undefined) throw new ApiError(res.status, `Unexpected response from ${method} ${path}: not JSON`);
  return data;
}

/**
 * GET of an endpoint this dispatcher may not have yet (or that has nothing yet): resolves to the
 * body, or to null on 404 so the view can show its empty state; other failures reject.
 */
export async function optionalApi(path) {
  try {
    return await api('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** GET of a plain-text endpoint (log tails): the text, null on 404, else rejects like api(). */
export async function apiText(path) {
  let res;
  try {
    res = await fetch(path, { headers: headersFor() });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the dispatcher: ${err.message}`);
  }
  const text = await res.text();
  if (res.status === 404) return null;
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText || 'error'}: ${text.trim().slice(0, 300)}`);
  return text;
}
