import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startWebServer, type WebServer } from './harness.ts';

/** A newcomer tries the self-check at /chat in real headless Chromium, with and without JavaScript. */

let browser: Browser;
let server: WebServer;

beforeAll(async () => {
  server = await startWebServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Answers whatever is asked: agree, the first option, a commune name for the typed question, then "Gửi". */
async function completeSelfCheck(page: Page, waitForReply: (before: number) => Promise<void>, onStep?: (step: number) => Promise<void>): Promise<number> {
  let steps = 0;
  for (; steps < 40; steps++) {
    await onStep?.(steps);
    const before = await page.locator('#log li.msg').count();
    const log = (await page.locator('#log').textContent()) ?? '';
    if (log.includes('KẾT QUẢ')) return steps;
    const buttons = page.locator('#log form.choices button');
    const count = await buttons.count();
    if (count === 0) {
      await page.locator('#text').fill('Phường Trung Tâm');
      await page.getByRole('button', { name: 'Gửi', exact: true }).last().click();
    } else {
      const labels = await buttons.allTextContents();
      const pick = labels.indexOf('Đồng ý') >= 0 ? labels.indexOf('Đồng ý') : labels.indexOf('Gửi') >= 0 ? labels.indexOf('Gửi') : 0;
      await buttons.nth(pick).click();
    }
    await waitForReply(before);
  }
  throw new Error('the self-check did not finish in 40 steps');
}

describe('web chat in Chromium', () => {
  it('completes a self-check with the script (no page reloads), within the CSP', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 860 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.goto(`${server.url}/chat`);
    // Replies are in when the log has grown and the page is no longer waiting for the server.
    const waitForReply = async (before: number) => {
      await expect.poll(() => page.locator('#log li.msg').count()).toBeGreaterThan(before);
      await page.locator('body.busy').waitFor({ state: 'detached' });
    };
    const first = await page.locator('#log li.msg').count();
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    await waitForReply(first);
    const steps = await completeSelfCheck(page, waitForReply, async (step) => {
      if (step === 4) await page.screenshot({ path: '/tmp/xhht-chat.png' });
    });
    expect(steps).toBeGreaterThan(10);
    expect(navigations).toBe(1);
    expect(await page.locator('#log li.msg.me').count()).toBeGreaterThan(10);
    await page.locator('#log li.msg.bot').last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/xhht-chat-result.png' });

    // The conversation survives a reload: it lives on the server, keyed by the cookie.
    await page.reload();
    expect(await page.locator('#log').textContent()).toContain('KẾT QUẢ');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('completes a self-check with JavaScript turned off (plain form posts)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/chat`);
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    await page.waitForLoadState('domcontentloaded');
    const steps = await completeSelfCheck(page, () => page.waitForLoadState('domcontentloaded'));
    expect(steps).toBeGreaterThan(10);
    expect(new URL(page.url()).pathname).toBe('/chat');
    const cookies = await context.cookies();
    const chat = cookies.find((c) => c.name === 'xhht_chat')!;
    expect(chat).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/chat' });
    const person = server.t.store.findPerson('web', chat.value)!;
    expect(server.t.store.responsesOf(person.id).map((r) => r.status)).toEqual(['submitted']);
    await context.close();
  });
});
