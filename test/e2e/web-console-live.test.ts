/**
 * The web console's views that need endpoints other work adds (to enable after merging it; until then
 * this file FAILS by design): the plan's exchanges on the graph's edges (plan nodes' `inputs`), live
 * per-vertex metrics with sparklines (GET /jobs/:id/metrics/history), TaskManager and job process log
 * tails (GET /taskmanagers/:tm/log, GET /jobs/:id/jobmanager/log) and the rescale history
 * (GET /jobs/:id/rescales/history), against a real fraud-detection job fed while the page watches.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { jobStateOnPage, openConsole, openJob, runFromPage, screenshot, showTab, uploadFromPage } from '../helpers/console-page.js';
import { deleteKeys, startTestDispatcher, type TestDispatcher } from '../helpers/dispatcher.js';
import { FRAUD_BUNDLE, fraudArgs } from '../helpers/fraud.js';

let d: TestDispatcher;
let browser: Browser | undefined;
let page: Page;
let errors: string[];
let view: Locator;
let jobId: string;
let details: any;
const tag = `ebbtest-console-live-${randomBytes(4).toString('hex')}`;
const streams = [`${tag}-in-0`, `${tag}-in-1`];
let feeding = true;
let feeder: Promise<void> | undefined;

/** Writes transactions in small batches until stopped, so rates, backlog and watermarks move. */
async function feed(): Promise<void> {
  const txns = generateTransactions({ seed: 11, count: 200_000, streams });
  for (let i = 0; feeding && i < txns.length; i += 300) {
    await writeTransactions(d.redis, txns.slice(i, i + 300));
    await new Promise((resolve) => setTimeout(resolve, 100)); // a steady trickle, not a burst
  }
}

const vertexRow = (i: number): Locator => view.locator('[data-testid=vertex-row]').nth(i);
const metric = (row: Locator, key: string): Locator => row.locator(`[data-testid=metric-${key}]`);

beforeAll(async () => {
  d = await startTestDispatcher();
  ({ browser, page, errors } = await openConsole(d.url));
});

afterAll(async () => {
  feeding = false;
  await feeder;
  await browser?.close();
  if (d) {
    await deleteKeys(d.redis, `${tag}*`);
    await d.close();
  }
});

describe('web console with metrics, log tails and rescale history', () => {
  it('runs the fraud job from the page and feeds it', async () => {
    await uploadFromPage(page, FRAUD_BUNDLE.pathname, 'fraud-detection.mjs');
    jobId = await runFromPage(page, 'fraud-detection.mjs', { parallelism: 2, args: fraudArgs(d.redisUrl, streams, `${tag}-alerts`).join(' ') });
    await expect.poll(() => jobStateOnPage(page, jobId), { timeout: 30_000 }).toBe('RUNNING');
    feeder = feed();
    view = await openJob(page, jobId);
    details = await (await fetch(`${d.url}/jobs/${jobId}`)).json();
    expect(details.vertices.map((v: any) => v.parallelism)).toEqual([2, 2]);
  });

  it('labels the graph\'s edges with the plan\'s exchanges', async () => {
    const graph = view.locator('[data-testid=graph]');
    await expect.poll(() => graph.getAttribute('data-inferred')).toBe('false');
    const edge = graph.locator('[data-testid=graph-edge]');
    expect(await edge.count()).toBe(1);
    expect(await edge.getAttribute('data-from')).toBe(details.vertices[0].id);
    expect(await edge.getAttribute('data-to')).toBe(details.vertices[1].id);
    expect(await edge.locator('text').textContent()).toBe('HASH'); // keyBy between the source chain and the window
    expect(await view.locator('#jv-graph-note').isHidden()).toBe(true);
  });

  it('shows live records/s, busy, back-pressure, watermarks and backlog with sparklines', async () => {
    await expect.poll(() => view.locator('[data-testid=metrics-empty]').isHidden(), { timeout: 30_000 }).toBe(true);
    const source = vertexRow(0);
    const windowRow = vertexRow(1);
    // Records flow: the source emits and the window receives, each with a drawn sparkline.
    await expect.poll(async () => Number.parseFloat((await metric(source, 'numRecordsOutPerSecond').locator('[data-testid=metric-value]').textContent()) ?? '0'), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number.parseFloat((await metric(windowRow, 'numRecordsInPerSecond').locator('[data-testid=metric-value]').textContent()) ?? '0'), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => metric(source, 'numRecordsOutPerSecond').locator('svg.spark path').count(), { timeout: 30_000 }).toBe(1);
    for (const key of ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond']) {
      expect(await metric(windowRow, key).locator('[data-testid=metric-value]').textContent()).toMatch(/^\d+(\.\d)?k?$/);
    }
    // Event time advances at the window (a time of day, not "none"); the source reports its backlog.
    await expect.poll(() => metric(windowRow, 'currentInputWatermark').locator('[data-testid=metric-value]').textContent(), { timeout: 60_000 }).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(await metric(source, 'pendingRecords').locator('[data-testid=metric-value]').textContent()).toMatch(/^\d+(\.\d)?[kM]?$/);
    expect(await metric(windowRow, 'pendingRecords').textContent()).toBe('–'); // not a source
    await screenshot(page, 'console-live-overview');
    await screenshot(page, 'console-live-job-view', view); // the README's picture (docs/console.png)
  });

  it('shows each TaskManager\'s log tail and the job process log', async () => {
    const panel = await showTab(page, 'taskmanagers');
    await expect.poll(() => panel.locator('[data-testid=taskmanager-row]').count(), { timeout: 10_000 }).toBe(2);
    await panel.locator('[data-testid=tm-log-button]').first().click();
    const tmLog = panel.locator('[data-testid=tm-log]').first();
    await expect.poll(() => tmLog.getAttribute('data-state'), { timeout: 10_000 }).toBe('shown');
    expect(((await tmLog.textContent()) ?? '').trim().length).toBeGreaterThan(0);
    expect(await tmLog.textContent()).not.toBe('(empty)');
    await panel.locator('[data-testid=jm-log-button]').click();
    const jmLog = panel.locator('[data-testid=jm-log]');
    await expect.poll(() => jmLog.getAttribute('data-state'), { timeout: 10_000 }).toBe('shown');
    expect(((await jmLog.textContent()) ?? '').trim().length).toBeGreaterThan(0);
    expect(await jmLog.textContent()).not.toBe('(empty)');
    await screenshot(page, 'console-live-taskmanagers');
  });

  it('lists a rescale made from the page in the rescale history with what it moved', async () => {
    await showTab(page, 'overview');
    const input = view.locator('[data-testid=rescale-parallelism]');
    await input.fill('1');
    await view.locator('[data-testid=rescale-button]').click();
    const status = view.locator('[data-testid=rescale-status]');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('COMPLETED');
    expect(await status.getAttribute('data-kind'), (await status.textContent())!).toBe('ok');

    const panel = await showTab(page, 'rescales');
    // The page's rescale (the history may also hold the initial schedule): every vertex 2→1.
    const row = panel.locator('[data-testid=rs-row]', { hasText: `${details.vertices[0].name}: 2→1` });
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    const last = row.first();
    await expect.poll(() => last.getAttribute('data-state'), { timeout: 15_000 }).toBe('COMPLETED');
    const change = (await last.locator('[data-testid=rs-parallelism]').textContent()) ?? '';
    for (const v of details.vertices) expect(change).toContain(`${v.name}: 2→1`);
    const cells = await last.locator('td').allTextContents();
    expect(cells[3]).toMatch(new RegExp(`^\\d+ of ${details.maxParallelism}$`)); // key groups moved of the total
    expect(cells[4]).toMatch(/ of /); // state bytes moved of the total
    expect(cells[5]).not.toBe('–'); // duration
    expect(await panel.locator('[data-testid=rs-empty]').isHidden()).toBe(true);
    await screenshot(page, 'console-live-rescales');
    expect(errors).toEqual([]);
  });
});
