/**
 * The web form in a real browser (Debian's chromium through playwright-core) against a real
 * dispatcher started with a token: unlock the API with the token field, reject a bad upload,
 * upload and run a bounded windowed job at parallelism 2 to FINISHED, run an unbounded Redis
 * Streams job and cancel it, rescale a job from its job view (and see a refused request there),
 * and one refused in the page (above the job's max parallelism) and by the dispatcher (above the
 * per-job TaskManager limit, here 2), show the failure cause of a bundle that throws, delete a bundle.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = new URL('../../test-output/web-ui.png', import.meta.url);
const JOB_ID = /[0-9a-f]{32}/;

const COUNT_WINDOWS = `export default function (env, args) {
  const data = []; for (let i = 0; i < 200; i++) data.push({ k: 'k' + (i % 3), v: 1, ts: i * 10 });
  env.fromElements(data, { timestamp: (r) => r.ts }).keyBy((r) => r.k).window(env.windows.tumbling(1000))
    .aggregate({ createAccumulator: () => 0, add: (a, r) => a + r.v, getResult: (a) => a }, (key, w, n) => ({ key, start: w.start, n }))
    .sinkTo(env.fileSink(args[0]));
}
`;

const streamFollower = (redisUrl: string, stream: string) => `export default function (env, args) {
  env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(stream)}, ${JSON.stringify(`${stream}:b`)}] }).sinkTo(env.fileSink(args[0]));
}
`;

const BROKEN = `export default function () {
  throw new Error('broken-bundle: this job refuses to build its graph');
}
`;

let d: TestDispatcher;
let browser: Browser | undefined;
let page: Page;
let dir: string;
const token = randomBytes(12).toString('hex');
const streamKey = `ebbtest-webui-${randomBytes(4).toString('hex')}`;
const consoleErrors: string[] = [];

async function api(path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${d.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  return res.json();
}

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

const jarRow = (name: string): Locator => page.locator('[data-testid=jar-row]', { has: page.locator('[data-testid=jar-name]', { hasText: name }) });
const jobRow = (jobId: string): Locator => page.locator(`[data-testid=job-row][data-job-id="${jobId}"]`);

async function uploadFile(name: string, content: string): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, content);
  await page.locator('#upload-file').setInputFiles(path);
  await page.locator('#upload-button').click();
}

/** Fills a bundle row and clicks Run; returns the job id the page reports. */
async function runFromPage(name: string, parallelism: number, args: string): Promise<string> {
  const row = jarRow(name);
  await row.locator('[data-testid=parallelism]').fill(String(parallelism));
  await row.locator('[data-testid=args]').fill(args);
  await row.locator('[data-testid=run-button]').click();
  await expect.poll(() => page.locator('#message').textContent(), { timeout: 30_000 }).toMatch(/^Started job [0-9a-f]{32}/);
  return (await page.locator('#message').textContent())!.match(JOB_ID)![0];
}

async function jobState(jobId: string): Promise<string | null> {
  return jobRow(jobId).locator('[data-testid=job-state]').textContent({ timeout: 1000 }).catch(() => null);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the web UI test drives Debian's chromium. Install it with "apt-get install -y chromium".`);
  }
  dir = mkdtempSync(join(tmpdir(), 'ebbflow web-ui-')); // the space checks quoted program arguments
  d = await startTestDispatcher({ token, maxTaskManagersPerJob: 2 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx answer (the 401s before the token, the rejected upload and run);
    // anything else is a bug in the page.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  if (d) {
    await d.redis.del(streamKey);
    await d.close();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('web form in chromium', () => {
  it('serves the page, shows the 401 until the API token is entered, then the cluster overview', async () => {
    await page.goto(d.url);
    await expect.poll(() => page.locator('h1').textContent()).toBe('ebbflow');
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/401.*bearer token/i);

    await page.locator('#api-token').fill(token);
    await page.locator('#api-token').press('Tab'); // commits the field ("change")
    await expect.poll(() => page.locator('#message').isHidden()).toBe(true);
    const overview = await api('/overview');
    await expect.poll(() => page.locator('#ov-version').textContent()).toBe(String(overview['flink-version']));
    await expect.poll(() => page.locator('#ov-running').textContent()).toBe('0');
    expect(await page.evaluate("localStorage.getItem('ebbflow.apiToken')")).toBe(token);
    await expect.poll(() => page.locator('#jars-empty').isVisible()).toBe(true);
  });

  it('shows the server error for a file with a bad extension', async () => {
    await uploadFile('x.txt', 'not a bundle');
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/400.*unsupported bundle file "x\.txt"/);
    expect(await page.locator('#message').getAttribute('data-kind')).toBe('error');
    expect(await page.locator('[data-testid=jar-row]').count()).toBe(0);
  });

  it('uploads a bounded bundle, runs it at parallelism 2 and it FINISHES with the right output', async () => {
    await uploadFile('count-windows.mjs', COUNT_WINDOWS);
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/^Uploaded count-windows\.mjs as [0-9a-f]{32}_count-windows\.mjs/);
    await expect.poll(() => jarRow('count-windows.mjs').count()).toBe(1);
    const row = jarRow('count-windows.mjs');
    expect(await row.locator('[data-testid=parallelism]').inputValue()).toBe('1');
    expect(await row.locator('[data-testid=jar-id]').textContent()).toMatch(/^[0-9a-f]{32}_count-windows\.mjs$/);

    const out = join(dir, 'windows out.jsonl');
    const jobId = await runFromPage('count-windows.mjs', 2, `"${out}"`);
    await expect.poll(() => jobState(jobId), { timeout: 60_000 }).toBe('FINISHED');
    expect(await jobRow(jobId).locator('[data-testid=job-name]').textContent()).toBe('count-windows.mjs');
    expect(await jobRow(jobId).locator('[data-testid=cancel-button]').isHidden()).toBe(true);

    const details = await api(`/jobs/${jobId}`);
    expect(details.parallelism).toBe(2);
    expect(details.programArgs).toEqual([out]);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; start: number; n: number });
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => l.key))).toEqual(new Set(['k0', 'k1', 'k2']));
    expect(new Set(lines.map((l) => `${l.key}@${l.start}`)).size).toBe(6);
    expect(lines.reduce((a, l) => a + l.n, 0)).toBe(200);
    await expect.poll(() => page.locator('#ov-finished').textContent()).toBe('1');
  });

  it('runs an unbounded Redis Streams job and cancels it from the page', async () => {
    await uploadFile('follow-stream.mjs', streamFollower(inject('redisUrl'), streamKey));
    await expect.poll(() => jarRow('follow-stream.mjs').count()).toBe(1);
    const out = join(dir, 'follow.jsonl');
    const jobId = await runFromPage('follow-stream.mjs', 1, `"${out}"`);
    await expect.poll(() => jobState(jobId), { timeout: 30_000 }).toBe('RUNNING');
    await d.redis.xadd(streamKey, '*', 'hello', 'web-ui');
    await waitFor('the streamed entry in the file sink', () => (lineCount(out) >= 1 ? true : undefined), 30_000);
    await expect.poll(() => page.locator('#ov-running').textContent()).toBe('1');

    await jobRow(jobId).locator('[data-testid=cancel-button]').click();
    await expect.poll(() => page.locator('#message').textContent()).toBe(`Cancellation of job ${jobId} requested.`);
    await expect.poll(() => jobState(jobId), { timeout: 30_000 }).toBe('CANCELED');
    expect(await jobRow(jobId).locator('[data-testid=cancel-button]').isHidden()).toBe(true);
    expect(await processesMatching(`ebbflow-taskmanager ${jobId}`)).toEqual([]);
  });

  it('shows a job\'s vertices and TaskManagers, rescales it from the job view, shows a refused request in place', async () => {
    const jobId = await runFromPage('follow-stream.mjs', 2, `"${join(dir, 'rescale.jsonl')}"`);
    await expect.poll(() => jobState(jobId), { timeout: 30_000 }).toBe('RUNNING');
    await jobRow(jobId).locator('[data-testid=details-button]').click();
    const view = page.locator('[data-testid=job-view]');
    await expect.poll(() => view.isVisible()).toBe(true);
    expect(await view.locator('[data-testid=jv-id]').textContent()).toBe(jobId);
    const details = await api(`/jobs/${jobId}`);
    const vertexRows = view.locator('[data-testid=vertex-row]');
    await expect.poll(() => vertexRows.count()).toBe(details.vertices.length);
    expect(await vertexRows.locator('[data-testid=vertex-parallelism]').allTextContents()).toEqual(details.vertices.map(() => '2'));
    expect(await vertexRows.locator('[data-testid=vertex-bounds]').allTextContents()).toEqual(details.vertices.map(() => '1..2'));
    const tmIds = async () => (await api('/taskmanagers')).taskmanagers.filter((t: { jobId: string }) => t.jobId === jobId).map((t: { id: string }) => t.id).sort();
    await expect.poll(async () => (await view.locator('[data-testid=taskmanager-id]').allTextContents()).sort(), { timeout: 15_000 }).toEqual(await tmIds());
    expect(await view.locator('[data-testid=taskmanager-row]').count()).toBe(2);

    const input = view.locator('[data-testid=rescale-parallelism]');
    await expect.poll(() => input.inputValue()).toBe('2');
    expect(await input.getAttribute('max')).toBe(String(details.maxParallelism));
    const status = view.locator('[data-testid=rescale-status]');
    await view.locator('[data-testid=rescale-button]').click();
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 30_000 }).toBe('COMPLETED');
    expect(await status.getAttribute('data-kind')).toBe('ok');
    expect(await status.textContent()).toMatch(/^Rescaled to 2: /);
    expect((await api(`/jobs/${jobId}`)).state).toBe('RUNNING');

    // A real rescale from the form: 2 → 1 in place; the released TaskManager leaves the list.
    await input.fill('1');
    await view.locator('[data-testid=rescale-button]').click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^Rescaled to 1: /);
    expect(await status.getAttribute('data-kind')).toBe('ok');
    await expect.poll(() => vertexRows.locator('[data-testid=vertex-parallelism]').allTextContents(), { timeout: 10_000 }).toEqual(details.vertices.map(() => '1'));
    await expect.poll(() => view.locator('[data-testid=taskmanager-row]').count(), { timeout: 10_000 }).toBe(1);
    expect((await api(`/jobs/${jobId}`)).state).toBe('RUNNING');

    // Above the job's max parallelism: refused in the page, nothing sent.
    await input.fill(String(details.maxParallelism + 1));
    await view.locator('[data-testid=rescale-button]').click();
    await expect.poll(() => status.textContent()).toBe(`Parallelism ${details.maxParallelism + 1} is above the job's max parallelism ${details.maxParallelism} (its number of key groups, fixed for the job's life); not sent.`);
    expect(await status.getAttribute('data-kind')).toBe('error');
    expect(await view.locator('[data-testid=rescale-button]').isEnabled()).toBe(true);

    // A request the dispatcher refuses shows its error in place: more TaskManagers than one job may have.
    await input.fill('3');
    await view.locator('[data-testid=rescale-button]').click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/^Rescale failed: 400 .*parallelism 3 /);
    expect(await status.getAttribute('data-kind')).toBe('error');
    expect(await view.locator('[data-testid=rescale-button]').isEnabled()).toBe(true);

    // Once the job ends, its TaskManagers leave the view on refresh and the control goes away.
    await jobRow(jobId).locator('[data-testid=cancel-button]').click();
    await expect.poll(() => view.locator('[data-testid=jv-state]').textContent(), { timeout: 30_000 }).toBe('CANCELED');
    await expect.poll(() => view.locator('[data-testid=taskmanager-row]').count(), { timeout: 10_000 }).toBe(0);
    expect(await view.locator('[data-testid=rescale-control]').isHidden()).toBe(true);
    await page.locator('#jv-close').click();
    expect(await view.isHidden()).toBe(true);
  });

  it('shows the server error and the failure cause of a bundle that throws, and deletes a bundle', async () => {
    await uploadFile('broken.mjs', BROKEN);
    await expect.poll(() => jarRow('broken.mjs').count()).toBe(1);
    await jarRow('broken.mjs').locator('[data-testid=run-button]').click();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 30_000 }).toMatch(/^Run failed: 400 .*broken-bundle: this job refuses/);
    const jobId = (await page.locator('#message').textContent())!.match(JOB_ID)![0];
    await expect.poll(() => jobState(jobId), { timeout: 10_000 }).toBe('FAILED');
    const cause = page.locator(`[data-testid=failure-row][data-job-id="${jobId}"] [data-testid=failure-cause]`);
    await expect.poll(() => cause.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await cause.textContent()).toContain('broken-bundle: this job refuses to build its graph');

    await uploadFile('to-delete.mjs', BROKEN);
    await expect.poll(() => jarRow('to-delete.mjs').count()).toBe(1);
    page.once('dialog', (dialog) => void dialog.accept());
    await jarRow('to-delete.mjs').locator('[data-testid=delete-button]').click();
    await expect.poll(() => jarRow('to-delete.mjs').count()).toBe(0);
    expect((await api('/jars')).files.map((f: { name: string }) => f.name).sort()).toEqual(['broken.mjs', 'count-windows.mjs', 'follow-stream.mjs']);

    mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
