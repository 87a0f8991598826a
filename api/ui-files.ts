/**
 * The web form's files: the page at `/` and its style sheet and ES modules under `/ui/`. They are
 * open without a token and carry the strict Content-Security-Policy (script-src 'self' allows
 * module imports from the same origin).
 */

/** File name under api/ui/ → content type. */
export const UI_ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'upload.js': 'text/javascript; charset=utf-8',
  'job-list.js': 'text/javascript; charset=utf-8',
  'job-detail.js': 'text/javascript; charset=utf-8',
  'rescale.js': 'text/javascript; charset=utf-8',
  'tabs.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'graph.js': 'text/javascript; charset=utf-8',
  'job-actions.js': 'text/javascript; charset=utf-8',
  'job-overview.js': 'text/javascript; charset=utf-8',
  'job-history.js': 'text/javascript; charset=utf-8',
  'job-autoscaler.js': 'text/javascript; charset=utf-8',
  'job-taskmanagers.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** URL paths of the web form (the page and its assets). */
export const UI_PATHS: ReadonlySet<string> = new Set(['/', ...Object.keys(UI_ASSETS).map((f) => `/ui/${f}`)]);
