/**
 * The web console in Debian's chromium (playwright-core, never a downloaded browser): launch, the
 * page's console errors, locators of the console's parts and a screenshot per view under test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const JOB_ID = /[0-9a-f]{32}/;
const OUTPUT = new URL('../../test-output/', import.meta.url);

export interface ConsolePage {
  browser: Browser;
  page: Page;
  /** Errors the page logged (besides the browser's own line for every 4xx answer). */
  errors: string[];
}

export async function openConsole(url: string): Promise<ConsolePage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the web console tests drive Debian's chromium. Install it with "apt-get install -y chromium".`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.locator('h1', { hasText: 'ebbflow' }).waitFor({ timeout: 10_000 });
  return { browser, page, errors };
}

/** Saves a screenshot as test-output/<name>.png (the full page, or only `part`); returns its path. */
export async function screenshot(page: Page, name: string, part?: Locator): Promise<string> {
  mkdirSync(OUTPUT, { recursive: true });
  const path = new URL(`${name}.png`, OUTPUT).pathname;
  if (part) await part.screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  return path;
}

export const jarRow = (page: Page, name: string): Locator =>
  page.locator('[data-testid=jar-row]', { has: page.locator('[data-testid=jar-name]', { hasText: name }) });
export const jobRow = (page: Page, jobId: string): Locator => page.locator(`[data-testid=job-row][data-job-id="${jobId}"]`);

export async function uploadFromPage(page: Page, path: string, name: string): Promise<void> {
  await page.locator('#upload-file').setInputFiles(path);
  await page.locator('#upload-button').click();
  await expect.poll(() => jarRow(page, name).count(), { timeout: 15_000 }).toBe(1);
}

/** Fills a bundle row (parallelism, arguments, optional savepoint) and clicks Run; the job id the page reports. */
export async function runFromPage(page: Page, name: string, o: { parallelism: number; args: string; savepoint?: string; allowNonRestored?: boolean }): Promise<string> {
  const row = jarRow(page, name);
  await row.locator('[data-testid=parallelism]').fill(String(o.parallelism));
  await row.locator('[data-testid=args]').fill(o.args);
  await row.locator('[data-testid=savepoint-path]').fill(o.savepoint ?? '');
  await row.locator('[data-testid=allow-non-restored]').setChecked(o.allowNonRestored ?? false);
  await row.locator('[data-testid=run-button]').click();
  await expect.poll(() => page.locator('#message').textContent(), { timeout: 30_000 }).toMatch(/^Started job [0-9a-f]{32}/);
  return (await page.locator('#message').textContent())!.match(JOB_ID)![0];
}

export async function jobStateOnPage(page: Page, jobId: string): Promise<string | null> {
  // The row may not be there yet (or be replaced mid-read): that reads as "no state yet".
  return jobRow(page, jobId).locator('[data-testid=job-state]').textContent({ timeout: 1000 }).catch(() => null);
}

/** Opens the job's console and waits until it shows that job. */
export async function openJob(page: Page, jobId: string): Promise<Locator> {
  await jobRow(page, jobId).locator('[data-testid=details-button]').click();
  const view = page.locator('[data-testid=job-view]');
  await expect.poll(() => view.locator('[data-testid=jv-id]').textContent()).toBe(jobId);
  return view;
}

/** Selects a tab by clicking it; waits for its panel. */
export async function showTab(page: Page, tab: string): Promise<Locator> {
  await page.locator(`#tab-${tab}`).click();
  const panel = page.locator(`[data-testid=panel-${tab}]`);
  await expect.poll(() => panel.isVisible()).toBe(true);
  return panel;
}
