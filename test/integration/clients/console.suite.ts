import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StratusClient } from '../../../sdk/index.js';
import { type ClientsPlane, HOME, LOADED_MACHINE_MS, OTHER } from '../../helpers/clients.js';

/** Chromium from Debian's package (`apt-get install chromium`), or `STRATUS_CHROMIUM`. */
const CHROMIUM = process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Git-ignored: what each page looks like, for a person to look at after the run (README, "Console"). */
const SHOTS = join(process.cwd(), '.bench/console-screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

if (!HAS_CHROMIUM) {
  console.warn(
    `console suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set STRATUS_CHROMIUM)`,
  );
}

/**
 * The web console in a real headless Chromium against the local control plane (clients.test.ts
 * starts it with the console served at `/console/` of each region's API): what a person does,
 * through the page's labels and buttons, with the API checked through the SDK.
 */
export function consoleSuite(getPlane: () => ClientsPlane): void {
  describe.skipIf(!HAS_CHROMIUM)('Console: in headless Chromium against the local control plane', () => {
    let plane: ClientsPlane;
    let browser: Browser | undefined;
    let page: Page;
    let sdk: StratusClient;
    const requests: string[] = [];

    beforeAll(async () => {
      plane = getPlane();
      sdk = new StratusClient({ baseUrl: plane.cp.region(HOME).apiUrl, apiKey: plane.cp.apiKey });
      await mkdir(SHOTS, { recursive: true });
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
      });
      page = await browser.newPage();
      await page.setViewport(DESKTOP);
      page.on('request', (r: HTTPRequest) => {
        requests.push(r.url());
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    const shot = (name: string, fullPage = false) =>
      page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
    const text = (selector: string) => page.$eval(selector, (e) => (e.textContent ?? '').trim());
    /** Waits until `selector`'s text is (or includes) `expected`: polling pages update in place. */
    const waitForText = (
      selector: string,
      expected: string,
      how: 'is' | 'includes' = 'is',
      timeout = LOADED_MACHINE_MS,
    ) => {
      const got = `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '').trim()`;
      const test =
        how === 'is' ? `=== ${JSON.stringify(expected)}` : `.includes(${JSON.stringify(expected)})`;
      return page.waitForFunction(`${got}${how === 'is' ? ' ' : ''}${test}`, { timeout, polling: 100 });
    };
    const clearAndType = async (selector: string, value: string) => {
      await page.focus(selector);
      await page.keyboard.down('Control');
      await page.keyboard.press('a');
      await page.keyboard.up('Control');
      await page.keyboard.press('Backspace');
      await page.type(selector, value);
    };

    // What the page showed when a test failed, beside the other screenshots.
    afterEach(async (ctx) => {
      if (browser && ctx.task.result?.state === 'fail')
        await shot(`failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`, true);
    });

    it(
      'signs in, creates a cluster through the form (a bad name first), sees it READY, scales it after a dry-run preview, deletes it',
      async () => {
        // Act: sign in, with the keyboard.
        await page.goto(`${plane.cp.region(HOME).apiUrl}/console/`);
        await page.waitForSelector('#api-key');
        await shot('01-sign-in');
        await page.type('#api-key', plane.cp.apiKey);
        await page.keyboard.press('Enter');
        await page.waitForSelector('#clusters');

        // Assess: the key is in session storage, never in a URL.
        expect(await page.evaluate('sessionStorage.getItem("stratus.apiKey")')).toBe(plane.cp.apiKey);
        expect(page.url()).not.toContain(plane.cp.apiKey);

        // Act: the create form, generated from the engine's settings schema; a name the API refuses.
        await page.click('a[href="#/clusters/new"]');
        await page.waitForSelector('#f-name');
        await page.select('#f-engine', 'postgresql');
        await page.waitForSelector('#f-settings-maxConnections');
        const unlabelled = await page.evaluate(
          '[...document.querySelectorAll("#create-form input, #create-form select")].filter((e) => e.labels.length === 0).length',
        );
        await page.type('#f-name', 'Bad_Name');
        await page.click('#create-form button[type=submit]');
        await page.waitForSelector('#f-name-error:not([hidden])');

        // Assess: the API's field error next to the field, the field marked invalid and focused.
        expect(unlabelled).toBe(0);
        expect(
          await page.$eval('#f-settings-maxConnections', (e) => (e as unknown as { value: string }).value),
        ).toBe('100');
        expect(await text('#f-name-error')).toMatch(/lower-case/);
        expect(await page.$eval('#f-name', (e) => e.getAttribute('aria-invalid'))).toBe('true');
        expect(await page.evaluate('document.activeElement.id')).toBe('f-name');
        await shot('02-create-field-error', true);

        // Act: a valid name; the cluster page opens.
        await clearAndType('#f-name', 'web-orders');
        await clearAndType('#f-settings-maxConnections', '150');
        await page.click('#create-form button[type=submit]');
        await page.waitForSelector('#operations li[data-operation]');
        const clusterId = decodeURIComponent(page.url().split('#/clusters/')[1] ?? '');

        // Act: back to the list, where it goes to READY in place.
        await page.click('a[href="#/clusters"]');
        const row = `#clusters tr[data-id="${clusterId}"]`;
        await page.waitForSelector(row);
        const rowHandle = await page.$(row);
        await waitForText(`${row} .badge`, 'READY');

        // Assess: the same row element all along (updated in place, not re-rendered), and the API agrees.
        expect(await rowHandle?.evaluate((e) => e.isConnected)).toBe(true);
        expect(await sdk.clusters.get(clusterId)).toMatchObject({
          name: 'web-orders',
          engine: 'postgresql',
          status: 'READY',
          settings: { maxConnections: 150 },
        });
        await shot('03-clusters-ready');

        // Act: the list and the cluster page at a phone's width.
        // (A change of isMobile reloads the page: wait for the row again.)
        await page.setViewport(PHONE);
        await waitForText(`${row} .badge`, 'READY');
        await shot('04-phone-clusters', true);
        const listWidth = await page.evaluate('document.documentElement.scrollWidth');
        await page.click(`${row} a`);
        await page.waitForSelector('#reveal');
        await shot('05-phone-cluster', true);
        const pageWidth = await page.evaluate('document.documentElement.scrollWidth');
        await page.setViewport(DESKTOP);
        await page.waitForSelector('#reveal');

        // Assess: nothing wider than the screen (a table scrolls inside its own box).
        expect(listWidth).toBeLessThanOrEqual(PHONE.width);
        expect(pageWidth).toBeLessThanOrEqual(PHONE.width);

        // Act: the cluster page, with its connection information, at 1280 px.
        await waitForText('.page-head .badge', 'READY');
        await shot('06-cluster', true);

        // Act: scale to 3 nodes: the dry run previews the change before anything is confirmed.
        await page.click('::-p-text(Scale)');
        await page.waitForSelector('#confirm-dialog #change-value');
        await clearAndType('#change-value', '3');
        await waitForText('#dialog-preview', '1 → 3', 'includes', 10_000);
        await shot('07-scale-preview');
        const beforeConfirm = await sdk.clusters.get(clusterId);
        await page.click('#confirm-dialog button[type=submit]');
        await page.waitForSelector('#confirm-dialog', { hidden: true });

        // Assess: the preview changed nothing; the confirmed change goes through to READY at 3 nodes.
        expect(beforeConfirm.nodes).toBe(1);
        await waitForText('#operations li:first-child strong', 'UPDATE');
        await waitForText('#operations li:first-child .badge', 'SUCCEEDED');
        await waitForText('.page-head .badge', 'READY');
        expect(await text('[data-fact="Nodes"]')).toBe('3');
        expect(await page.$$eval('#events li', (items) => items.length)).toBeGreaterThanOrEqual(6);

        // Act: delete, after its preview.
        await page.click('::-p-text(Delete)');
        await waitForText('#dialog-preview', 'DELETE', 'includes', 10_000);
        await shot('08-delete-preview');
        await page.click('#confirm-dialog button[type=submit]');
        await page.waitForSelector('#clusters');

        // Assess
        expect(['DELETING', 'DELETED']).toContain((await sdk.clusters.get(clusterId)).status);
      },
      LOADED_MACHINE_MS,
    );

    it(
      'creates an API key whose secret is shown once, switches region, and signs out',
      async () => {
        // Act: a key, from the API keys page.
        await page.click('a[href="#/api-keys"]');
        await page.waitForSelector('#key-form #f-name');
        await page.type('#key-form #f-name', 'console-viewer');
        await page.select('#key-form #f-role', 'viewer');
        await page.click('#key-form button[type=submit]');
        await page.waitForSelector('#new-secret');
        const secret = await text('#new-secret');
        await page.waitForSelector('#api-keys tr[data-id]');
        await shot('09-api-key-created');

        // Assess: the secret is the key's (it signs requests), and is gone once the page is left.
        const viewer = new StratusClient({ baseUrl: plane.cp.region(HOME).apiUrl, apiKey: secret });
        await expect(viewer.clusters.list({ limit: 1 })).resolves.toHaveProperty('items');
        await page.click('a[href="#/clusters"]');
        await page.waitForSelector('#clusters');
        await page.click('a[href="#/api-keys"]');
        await page.waitForSelector('#api-keys tr[data-id]');
        expect(await page.$('#new-secret')).toBeNull();

        // Act: switch to the other region's API (a cross-origin call: the API's CORS).
        await page.click('a[href="#/clusters"]');
        await page.select('#region', OTHER);
        await page.waitForSelector('#clusters');
        await waitForText('.hint[aria-live]', 'Updated', 'includes', 10_000);
        await shot('10-region-switched');

        // Assess: the list came from the other region's API; the key never went into a URL.
        const otherApi = plane.cp.region(OTHER).apiUrl;
        expect(requests.some((u) => u.startsWith(`${otherApi}/v1/clusters`))).toBe(true);
        expect(requests.filter((u) => u.includes(plane.cp.apiKey) || u.includes(secret))).toEqual([]);
        expect(await page.evaluate('sessionStorage.getItem("stratus.region")')).toBe(OTHER);

        // Act: sign out.
        await page.click('#sign-out');
        await page.waitForSelector('#api-key');

        // Assess
        expect(await page.evaluate('sessionStorage.getItem("stratus.apiKey")')).toBeNull();
      },
      LOADED_MACHINE_MS,
    );
  });
}
