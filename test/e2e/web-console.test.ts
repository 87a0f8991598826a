/**
 * The web console (the job view) in a real browser against a real dispatcher and a real running
 * fraud-detection job (Redis Streams source capped at its 2 streams, keyed windows, sink): the
 * dataflow graph and vertex table match GET /jobs/:id, tabs work with the keyboard, every button
 * does what it says (savepoint, rescale per vertex with its bounds refused client-side, stop with
 * savepoint, run from that savepoint, cancel), and the views whose endpoints other work adds
 * (metrics history, log tails, rescale history) show a clear empty state while those answer 404;
 * the autoscaler tab shows the job's autoscaler (off here) and, stubbed, its decisions.
 * A screenshot of each view lands in test-output/console-*.png.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, startTestDispatcher, type TestDispatcher } from '../helpers/dispatcher.js';
import { FRAUD_BUNDLE, fraudArgs } from '../helpers/fraud.js';
import { stubbedAutoscaler, stubbedMetricsHistory, stubbedRescalesHistory } from '../helpers/console-stubs.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { jarRow, jobStateOnPage, openConsole, openJob, runFromPage, screenshot, showTab, uploadFromPage } from '../helpers/console-page.js';

let d: TestDispatcher;
let browser: Browser | undefined;
let page: Page;
let errors: string[];
let view: Locator;
let jobId: string;
let stopLocation: string;
const tag = `ebbtest-console-${randomBytes(4).toString('hex')}`;
const streams = [`${tag}-in-0`, `${tag}-in-1`];
const args = () => fraudArgs(d.redisUrl, streams, `${tag}-alerts`).join(' ');
/** Write requests the page sent (method and path), to show a refused value never left the page. */
const writes: string[] = [];

async function api(path: string): Promise<any> {
  return (await fetch(`${d.url}${path}`)).json();
}
async function status(path: string): Promise<number> {
  const res = await fetch(`${d.url}${path}`);
  await res.arrayBuffer();
  return res.status;
}

/** The graph's edges as the API describes them: the plan's inputs, else the vertices chained in order. */
function expectedEdges(details: any): string[] {
  const nodes: any[] = details.plan.nodes;
  if (nodes.some((n) => Array.isArray(n.inputs))) {
    return nodes.flatMap((n) => (n.inputs ?? []).map((i: any) => `${i.id}>${n.id}:${i.ship_strategy}`)).sort();
  }
  return details.vertices.slice(1).map((v: any, i: number) => `${details.vertices[i].id}>${v.id}:`).sort();
}

beforeAll(async () => {
  d = await startTestDispatcher();
  ({ browser, page, errors } = await openConsole(d.url));
  page.on('request', (r) => { if (r.method() !== 'GET') writes.push(`${r.method()} ${new URL(r.url()).pathname}`); });
});

afterAll(async () => {
  await browser?.close();
  if (d) {
    await deleteKeys(d.redis, `${tag}*`);
    await d.close();
  }
});

describe('web console in chromium', () => {
  it('runs the fraud job from the page and shows its graph and vertices as GET /jobs/:id has them', async () => {
    await uploadFromPage(page, FRAUD_BUNDLE.pathname, 'fraud-detection.mjs');
    jobId = await runFromPage(page, 'fraud-detection.mjs', { parallelism: 2, args: args() });
    await expect.poll(() => jobStateOnPage(page, jobId), { timeout: 30_000 }).toBe('RUNNING');
    view = await openJob(page, jobId);
    const details = await api(`/jobs/${jobId}`);
    expect(details.vertices.length).toBeGreaterThan(1);

    const graph = view.locator('[data-testid=graph]');
    await expect.poll(() => graph.locator('[data-testid=graph-vertex]').count()).toBe(details.vertices.length);
    expect(await graph.locator('[data-testid=graph-parallelism]').allTextContents())
      .toEqual(details.vertices.map((v: any) => `parallelism 2 / max ${v.maxParallelism}`));
    const edges = await graph.locator('[data-testid=graph-edge]').evaluateAll((es) => es.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}:${e.getAttribute('data-ship')}`));
    expect(edges.sort()).toEqual(expectedEdges(details));
    expect(await graph.getAttribute('data-inferred')).toBe(String(!details.plan.nodes.some((n: any) => Array.isArray(n.inputs))));

    const rows = view.locator('[data-testid=vertex-row]');
    expect(await rows.locator('[data-testid=vertex-name]').allTextContents()).toEqual(details.vertices.map((v: any) => v.name));
    expect(await rows.locator('[data-testid=vertex-max]').allTextContents()).toEqual(details.vertices.map((v: any) => String(v.maxParallelism)));
    const source = details.vertices[0];
    expect(source.maxParallelism).toBe(2); // two streams
    expect(await rows.first().locator('[data-testid=vertex-target]').getAttribute('max')).toBe('2');
    // The job-wide hint names the source's own cap instead of promising "1 to 128" for every vertex.
    await expect.poll(() => view.locator('[data-testid=rescale-limit]').textContent()).toBe(`1 to ${details.maxParallelism}; ${source.name} at most 2`);

    // Every control has a name a screen reader reads: a label, an aria-label or its text.
    const unnamed = await page.locator('input, button, select').evaluateAll((els) => els
      .filter((e: any) => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || (e.tagName === 'BUTTON' && e.textContent.trim())))
      .map((e: any) => e.outerHTML));
    expect(unnamed).toEqual([]);

    if (await status(`/jobs/${jobId}/metrics/history`) === 404) {
      expect(await view.locator('[data-testid=metrics-empty]').isVisible()).toBe(true);
      expect(await view.locator('[data-testid=metrics-empty]').textContent()).toBe('No metrics yet.');
    }
    await screenshot(page, 'console-overview');
    await screenshot(page, 'console-job-view', view); // the README's picture (docs/console.png)
  });

  it('switches tabs with the arrow keys and shows the checkpoints and the (empty) exception history', async () => {
    await page.locator('#tab-overview').focus();
    await page.keyboard.press('ArrowRight');
    const panel = view.locator('[data-testid=panel-checkpoints]');
    await expect.poll(() => panel.isVisible()).toBe(true);
    expect(await page.locator('#tab-checkpoints').getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('tab-checkpoints');
    expect(await view.locator('[data-testid=panel-overview]').isHidden()).toBe(true);
    expect(await page.locator('#tab-overview').getAttribute('tabindex')).toBe('-1');

    const completed = panel.locator('[data-testid=cp-row][data-status=COMPLETED]');
    await expect.poll(() => completed.count(), { timeout: 30_000 }).toBeGreaterThan(1);
    const stats = await api(`/jobs/${jobId}/checkpoints`);
    expect(Number(await panel.locator('[data-testid=cp-count-completed]').textContent())).toBeGreaterThanOrEqual(Math.min(stats.counts.completed, 2));
    expect(await panel.locator('[data-testid=cp-charts] svg').count()).toBe(2);
    await screenshot(page, 'console-checkpoints');

    await page.keyboard.press('ArrowRight');
    const ex = view.locator('[data-testid=panel-exceptions]');
    await expect.poll(() => ex.isVisible()).toBe(true);
    await expect.poll(() => ex.locator('[data-testid=ex-root]').textContent()).toBe('None.');
    expect(await ex.locator('[data-testid=ex-empty]').isVisible()).toBe(true);
    await page.keyboard.press('End');
    await expect.poll(() => page.locator('#tab-autoscaler').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowRight'); // wraps to the first tab
    await expect.poll(() => page.locator('#tab-overview').getAttribute('aria-selected')).toBe('true');
  });

  it('lists the job\'s TaskManagers with their subtasks, and log tails or their empty state', async () => {
    const panel = await showTab(page, 'taskmanagers');
    const tms = (await api('/taskmanagers')).taskmanagers.filter((t: any) => t.jobId === jobId).map((t: any) => t.id).sort();
    expect(tms.length).toBe(2);
    await expect.poll(async () => (await panel.locator('[data-testid=taskmanager-id]').allTextContents()).sort()).toEqual(tms);
    const details = await api(`/jobs/${jobId}`);
    const subtasks = panel.locator('[data-testid=taskmanager-subtask]');
    await expect.poll(() => subtasks.count(), { timeout: 10_000 }).toBe(details.vertices.length * 2);
    expect(await subtasks.first().textContent()).toMatch(/ #[01] \(RUNNING\)$/);

    const tmLogMissing = await status(`/taskmanagers/${tms[0]}/log?lines=5`) === 404;
    await panel.locator('[data-testid=tm-log-button]').first().click();
    const tmLog = panel.locator('[data-testid=tm-log]').first();
    await expect.poll(() => tmLog.getAttribute('data-state')).toBe(tmLogMissing ? 'missing' : 'shown');
    if (tmLogMissing) expect(await tmLog.textContent()).toBe('No log tail from this dispatcher yet.');

    const jmLogMissing = await status(`/jobs/${jobId}/jobmanager/log?lines=5`) === 404;
    await panel.locator('[data-testid=jm-log-button]').click();
    await expect.poll(() => panel.locator('[data-testid=jm-log]').getAttribute('data-state')).toBe(jmLogMissing ? 'missing' : 'shown');
    await screenshot(page, 'console-taskmanagers');

    const rescales = await showTab(page, 'rescales');
    if (await status(`/jobs/${jobId}/rescales/history`) === 404) {
      await expect.poll(() => rescales.locator('[data-testid=rs-empty]').textContent()).toBe('No rescale history from this dispatcher yet.');
    }
    await screenshot(page, 'console-rescales');
  });

  it('draws metrics, log tails and rescale history in their endpoints\' shapes (answers stubbed in the browser)', async () => {
    // The endpoints other work adds, answered in the page's browser with their documented shapes, so
    // the drawing is checked now; web-console-live.test.ts checks the same views against the real ones.
    const details = await api(`/jobs/${jobId}`);
    const [src, win] = details.vertices.map((v: any) => v.id);
    const t0 = 1_700_000_000_000;
    const history = stubbedMetricsHistory(src, win, t0);
    const rescales = stubbedRescalesHistory(details.vertices, t0);
    const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    await page.route(`**/jobs/${jobId}/metrics/history`, (r) => r.fulfill(json(history)));
    await page.route(`**/jobs/${jobId}/rescales/history`, (r) => r.fulfill(json(rescales)));
    await page.route('**/taskmanagers/*/log?lines=*', (r) => r.fulfill({ status: 200, contentType: 'text/plain', body: 'tm line 1\ntm line 2\n' }));
    await page.route(`**/jobs/${jobId}/jobmanager/log?lines=*`, (r) => r.fulfill({ status: 200, contentType: 'text/plain', body: `job ${jobId} running\n` }));
    // The plan in Flink's JobPlanInfo shape: the window vertex's input is the source, hash-partitioned.
    await page.route(`**/jobs/${jobId}`, async (r) => {
      const body = await (await r.fetch()).json();
      body.plan.nodes = body.plan.nodes.map((n: any, i: number) => ({ ...n, operator: '', operator_strategy: '',
        ...(i === 0 ? {} : { inputs: [{ num: 0, id: body.plan.nodes[i - 1].id, ship_strategy: 'HASH', exchange: 'pipelined_bounded' }] }) }));
      await r.fulfill(json(body));
    });
    try {
      await showTab(page, 'overview');
      await expect.poll(() => view.locator('[data-testid=graph]').getAttribute('data-inferred')).toBe('false');
      expect(await view.locator('[data-testid=graph-edge] text').allTextContents()).toEqual(['HASH']);
      expect(await view.locator('#jv-graph-note').isHidden()).toBe(true);
      await expect.poll(() => view.locator('[data-testid=metrics-empty]').isHidden()).toBe(true);
      const rows = view.locator('[data-testid=vertex-row]');
      const value = (row: number, key: string) => rows.nth(row).locator(`[data-testid=metric-${key}] [data-testid=metric-value]`).textContent();
      await expect.poll(() => value(0, 'numRecordsOutPerSecond')).toBe('1234');
      expect(await value(1, 'numRecordsInPerSecond')).toBe('1234');
      expect(await value(1, 'busyTimeMsPerSecond')).toBe('300');
      expect(await value(0, 'backPressuredTimeMsPerSecond')).toBe('30');
      expect(await value(0, 'currentInputWatermark')).toBe('none');
      expect(await value(1, 'currentInputWatermark')).toBe('22:13:20.000');
      expect(await value(0, 'pendingRecords')).toBe('7');
      expect(await rows.nth(1).locator('[data-testid=metric-pendingRecords]').textContent()).toBe('–');
      // A sparkline per metric that has values: not the source's watermark, nor the window's backlog.
      expect(await rows.nth(0).locator('svg.spark path').count()).toBe(5);
      expect(await rows.nth(0).locator('[data-testid=metric-currentInputWatermark] svg').count()).toBe(0);
      expect(await rows.nth(1).locator('svg.spark path').count()).toBe(5);
      expect(await rows.nth(1).locator('[data-testid=metric-currentInputWatermark] svg.spark path').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){3}$/);
      await screenshot(page, 'console-stubbed-metrics', view);

      const tmPanel = await showTab(page, 'taskmanagers');
      await tmPanel.locator('[data-testid=tm-log-button]').first().click();
      await expect.poll(() => tmPanel.locator('[data-testid=tm-log]').first().textContent()).toBe('tm line 1\ntm line 2\n');
      await tmPanel.locator('[data-testid=jm-log-button]').click();
      await expect.poll(() => tmPanel.locator('[data-testid=jm-log]').textContent()).toBe(`job ${jobId} running\n`);

      const rsPanel = await showTab(page, 'rescales');
      const row = rsPanel.locator('[data-testid=rs-row]');
      await expect.poll(() => row.count()).toBe(2);
      const cells = await row.first().locator('td').allTextContents();
      expect(cells.slice(1)).toEqual(['UPDATE_REQUIREMENT', details.vertices.map((v: any) => `${v.name}: 2→1`).join(', '), '64 of 128', '2.0 KB of 4.0 KB', '1.5 s', 'COMPLETED']);
      const failedCells = await row.nth(1).locator('td').allTextContents();
      expect(failedCells.slice(2)).toEqual([details.vertices.map((v: any) => `${v.name}: 2→3`).join(', '), '–', '–', '5.0 s', 'FAILEDnot enough TaskManagers in time']);
      expect(await row.nth(1).locator('[data-testid=rs-cause]').textContent()).toBe('not enough TaskManagers in time');
      expect(await rsPanel.locator('[data-testid=rs-empty]').isHidden()).toBe(true);
    } finally {
      await page.unrouteAll({ behavior: 'wait' }); // let a stubbed answer in flight finish
    }
  });

  it('shows the job\'s autoscaler (off here) and, in the endpoint\'s shape (stubbed), its reasoning and decisions', async () => {
    const panel = await showTab(page, 'autoscaler');
    await expect.poll(() => panel.locator('[data-testid=as-summary]').textContent()).toMatch(/^Off \(job\.autoscaler\.enabled is false\)\./);
    expect(await panel.locator('[data-testid=as-empty]').isHidden()).toBe(false);
    const details = await api(`/jobs/${jobId}`);
    const t0 = 1_700_000_000_000;
    const state = stubbedAutoscaler(jobId, details.vertices, t0);
    await expectSpecResponse('get', '/jobs/{jobid}/autoscaler', 200, state);
    await page.route(`**/jobs/${jobId}/autoscaler`, (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(state) }));
    try {
      await showTab(page, 'rescales');
      await showTab(page, 'autoscaler');
      await expect.poll(() => panel.locator('[data-testid=as-summary]').textContent()).toMatch(/^On: it rescales the job in place\.\nLast evaluation .*: stabilizing — stabilizing for 5 s more\nChanged at run time: job\.autoscaler\.utilization\.target = 0\.6$/);
      const decisions = panel.locator('[data-testid=as-decision]');
      await expect.poll(() => decisions.count()).toBe(2);
      expect(await decisions.first().getAttribute('data-outcome')).toBe('completed');
      expect(await decisions.first().locator('[data-testid=as-change]').textContent()).toBe(details.vertices.map((v: any) => `${v.name}: 2→1`).join(', '));
      const failed = await decisions.nth(1).locator('td').allTextContents();
      expect(failed.slice(3)).toEqual(['unsatisfiablecould not get 3 slot(s)', '–', 'r1']);
      expect(await panel.locator('[data-testid=as-vertex]').count()).toBe(details.vertices.length);
      expect(await panel.locator('[data-testid=as-vertex] td.why').first().textContent()).toBe('idle (limited by lower-bound)');
      expect(await panel.locator('[data-testid=as-empty]').isHidden()).toBe(true);
      await screenshot(page, 'console-autoscaler', view);
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('triggers a savepoint and shows its location', async () => {
    await showTab(page, 'overview');
    const op = view.locator('[data-testid=operation-status]');
    await view.locator('[data-testid=savepoint-button]').click();
    await expect.poll(() => op.getAttribute('data-state'), { timeout: 30_000 }).toBe('COMPLETED');
    expect(await op.getAttribute('data-kind')).toBe('ok');
    const location = (await op.textContent())!.match(/^Savepoint completed: (.+)$/)![1];
    expect(existsSync(join(location, '_metadata'))).toBe(true);
    expect(await view.locator('[data-testid=savepoint-button]').isEnabled()).toBe(true);
  });

  it('refuses a parallelism above a vertex\'s cap in the page, then rescales per vertex', async () => {
    await showTab(page, 'overview');
    const details = await api(`/jobs/${jobId}`);
    const rows = view.locator('[data-testid=vertex-row]');
    const status = view.locator('[data-testid=rescale-status]');
    const before = writes.length;

    // A refresh of the table while someone types keeps the field's focus and what was typed (rows
    // that were re-appended at every refresh lost the focus, and a fill in flight lost its text).
    const first = rows.first().locator('[data-testid=vertex-target]');
    await first.focus();
    await page.keyboard.type('3');
    for (let i = 0; i < 2; i++) await page.waitForResponse((r) => r.url().endsWith(`/jobs/${jobId}/metrics/history`));
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('vertex-target');
    expect(await first.inputValue()).toBe('3');
    await view.locator('[data-testid=vertex-rescale-button]').click();
    await expect.poll(() => status.getAttribute('data-state')).toBe('REFUSED');
    expect(await status.textContent()).toBe(`Not sent: ${details.vertices[0].name}: 3 is above its max parallelism 2.`);
    expect(await status.getAttribute('data-kind')).toBe('error');

    const input = view.locator('[data-testid=rescale-parallelism]');
    await input.fill(String(details.maxParallelism + 1));
    await view.locator('[data-testid=rescale-button]').click();
    await expect.poll(() => status.textContent()).toBe(`Parallelism ${details.maxParallelism + 1} is above the job's max parallelism ${details.maxParallelism} (its number of key groups, fixed for the job's life); not sent.`);
    expect(writes.slice(before)).toEqual([]); // neither refused value left the page

    for (const target of await rows.locator('[data-testid=vertex-target]').all()) await target.fill('1');
    await rows.last().locator('[data-testid=vertex-target]').press('Enter'); // same as the button
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('COMPLETED');
    expect(await status.getAttribute('data-kind'), (await status.textContent())!).toBe('ok');
    expect(writes.slice(before)).toEqual([`PUT /jobs/${jobId}/resource-requirements`]);
    await expect.poll(() => rows.locator('[data-testid=vertex-parallelism]').allTextContents(), { timeout: 15_000 }).toEqual(details.vertices.map(() => '1'));
    await expect.poll(() => rows.locator('[data-testid=vertex-bounds]').allTextContents()).toEqual(details.vertices.map(() => '1..1'));
    expect((await api(`/jobs/${jobId}`)).vertices.map((v: any) => v.parallelism)).toEqual(details.vertices.map(() => 1));
  });

  it('stops the job with a savepoint from the console, draining first', async () => {
    const op = view.locator('[data-testid=operation-status]');
    expect(await view.locator('[data-testid=stop-button]').isEnabled()).toBe(true); // RUNNING: isStoppable
    await view.locator('[data-testid=stop-drain]').check();
    const stopRequest = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/jobs/${jobId}/stop`));
    await view.locator('[data-testid=stop-button]').click();
    expect((await stopRequest).postDataJSON()).toEqual({ drain: true });
    await expect.poll(() => op.textContent(), { timeout: 60_000 }).toMatch(/^Stop with savepoint completed: /);
    expect(await op.getAttribute('data-kind')).toBe('ok');
    stopLocation = (await op.textContent())!.replace(/^Stop with savepoint completed: /, '');
    expect(existsSync(join(stopLocation, '_metadata'))).toBe(true);
    // The shortcut puts the location into the run form of the job's bundle, focused.
    await view.locator('[data-testid=use-savepoint]').click();
    const savepointField = page.locator('[data-testid=jar-row] [data-testid=savepoint-path]');
    expect(await savepointField.inputValue()).toBe(stopLocation);
    expect(await savepointField.evaluate((e) => e === e.ownerDocument.activeElement)).toBe(true);
    await expect.poll(() => view.locator('[data-testid=jv-state]').textContent(), { timeout: 30_000 }).toBe('FINISHED');
    await expect.poll(() => view.locator('[data-testid=job-actions]').isHidden()).toBe(true);
    expect(await view.locator('[data-testid=rescale-control]').isHidden()).toBe(true);
  });

  it('runs the bundle from that savepoint (run form) and cancels it from the console', async () => {
    // The checkbox alone is refused in the page.
    const row = page.locator('[data-testid=jar-row]');
    await row.locator('[data-testid=savepoint-path]').fill('');
    await row.locator('[data-testid=allow-non-restored]').check();
    await row.locator('[data-testid=run-button]').click();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 10_000 }).toBe('"Allow non-restored state" needs a savepoint path.');

    const resumed = await runFromPage(page, 'fraud-detection.mjs', { parallelism: 2, args: args(), savepoint: stopLocation, allowNonRestored: true });
    await expect.poll(() => jobStateOnPage(page, resumed), { timeout: 30_000 }).toBe('RUNNING');
    expect((await api(`/jobs/${resumed}`)).savepointPath).toBe(stopLocation);
    view = await openJob(page, resumed);
    await expect.poll(() => view.locator('[data-testid=jv-savepoint]').textContent()).toBe(stopLocation);
    const cp = await showTab(page, 'checkpoints');
    await expect.poll(() => cp.locator('[data-testid=cp-restored]').textContent(), { timeout: 15_000 }).toMatch(/^Restored from savepoint /);
    await showTab(page, 'overview');

    await view.locator('[data-testid=jv-cancel-button]').click();
    const op = view.locator('[data-testid=operation-status]');
    await expect.poll(() => op.textContent()).toBe(`Cancellation of job ${resumed} requested.`);
    await expect.poll(() => view.locator('[data-testid=jv-state]').textContent(), { timeout: 30_000 }).toBe('CANCELED');
    await screenshot(page, 'console-ended');
  });

  it('shows a failed job\'s root exception and exception history', async () => {
    const bundle = join(d.dataDir, 'broken.mjs');
    writeFileSync(bundle, "export default function () { throw new Error('console-broken: no graph today'); }\n");
    await uploadFromPage(page, bundle, 'broken.mjs');
    await jarRow(page, 'broken.mjs').locator('[data-testid=run-button]').click();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 30_000 }).toMatch(/^Run failed: 400 /);
    const failed = (await page.locator('#message').textContent())!.match(/[0-9a-f]{32}/)![0];
    await expect.poll(() => jobStateOnPage(page, failed), { timeout: 10_000 }).toBe('FAILED');
    view = await openJob(page, failed);
    const panel = await showTab(page, 'exceptions');
    const ex = await api(`/jobs/${failed}/exceptions`);
    await expect.poll(() => panel.locator('[data-testid=ex-root]').textContent()).toContain('console-broken: no graph today');
    expect(await panel.locator('[data-testid=ex-entry]').count()).toBe(ex.exceptionHistory.entries.length);
    expect(await panel.locator('[data-testid=ex-empty]').isHidden()).toBe(true);
    expect(await view.locator('[data-testid=job-actions]').isHidden()).toBe(true);
    await screenshot(page, 'console-exceptions');
    expect(errors).toEqual([]);
  });
});
