import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResponses } from '../../src/export/exportResponses.ts';
import { addAccount, addFocalPoint, PASSWORD, seedUnits, submitUnitFlow } from '../web/webApp.ts';
import { launchChromium, startWebServer, type WebServer } from './harness.ts';

/** The secretariat's dashboard in real headless Chromium: sign in, roster, review, charts, download. */

let browser: Browser;
let server: WebServer;
let returnedId: number;

beforeAll(async () => {
  server = await startWebServer({ exportResponses: (t) => (args) => exportResponses({ ...args, store: t.store, flows: t.flows }) });
  const { t } = server;
  seedUnits(t.store);
  await addAccount(t.store, { email: 'tinh@sogd.vn' });
  addFocalPoint(t, 'SCH-A', 'fp-a');
  submitUnitFlow(t, 'fp-a');
  addFocalPoint(t, 'SCH-B', 'fp-b');
  returnedId = submitUnitFlow(t, 'fp-b', { members: 20, trained: 12 });
  addFocalPoint(t, 'AG-C', 'fp-c');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/admin`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.getByLabel('Email').fill('tinh@sogd.vn');
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${server.url}/admin/roster`);
}

describe('dashboard in Chromium', () => {
  it('signs in, shows the roster, and returns a submission with a comment that reaches the focal point', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await signIn(page);

    await expect.poll(() => page.locator('table.roster tbody tr').count()).toBe(3);
    const rowB = page.locator('tr', { hasText: 'Trường Tiểu học Phú Thạnh' });
    await expect.poll(() => rowB.locator('.badge').textContent()).toBe('Đã nộp');
    await expect.poll(() => page.locator('tr', { hasText: 'Phòng Văn hóa <Trung Tâm>' }).locator('.badge').textContent()).toBe('Chưa bắt đầu');
    await page.screenshot({ path: '/tmp/xhht-admin-roster.png', fullPage: true });

    await rowB.getByRole('link', { name: 'Xem' }).click();
    await page.waitForURL(`${server.url}/admin/submissions/${returnedId}`);
    expect(await page.locator('table.answers tbody tr').count()).toBe(4);
    expect(await page.locator('table.outcomes').textContent()).toContain('60% (12/20)');
    await page.getByLabel('Trả lại để bổ sung').check();
    await page.getByLabel(/Ghi chú/).fill('Đề nghị bổ sung danh sách thành viên đã hoàn thành bồi dưỡng.');
    await page.getByRole('button', { name: 'Ghi nhận' }).click();
    await page.waitForURL(`${server.url}/admin/submissions/${returnedId}?ok=returned`);
    expect(await page.locator('.flash').textContent()).toContain('Đã trả lại');
    await page.screenshot({ path: '/tmp/xhht-admin-submission.png', fullPage: true });

    const notice = server.t.store.outboxRows('telegram').filter((r) => r.chat_id === 'fp-b' && r.kind === 'review');
    expect(notice).toHaveLength(1);
    expect(JSON.parse(notice[0]!.payload).text).toContain('Đề nghị bổ sung danh sách thành viên');

    await page.getByRole('link', { name: 'Danh sách đơn vị' }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'Trường Tiểu học Phú Thạnh' }).locator('.badge').textContent()).toBe('Đã trả lại');

    await page.getByRole('link', { name: 'Biểu đồ' }).click();
    await page.selectOption('select[name="flow"]', 'unit-web');
    await page.getByRole('button', { name: 'Xem' }).click();
    await expect.poll(() => page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: '/tmp/xhht-admin-charts.png', fullPage: true });

    // The CSP forbids inline code; a violation would show up as a console error.
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('downloads an XLSX export that opens with Vietnamese headers', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Tải dữ liệu' }).click();
    await page.selectOption('select[name="format"]', 'xlsx');
    await page.selectOption('select[name="flow"]', 'unit-web');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tải xuống' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^xhht-unit-web-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const file = await download.path();
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0]!;
    const cells = (n: number) => {
      const out: string[] = [];
      sheet.getRow(n).eachCell((cell) => out.push(cell.text));
      return out;
    };
    const everything = Array.from({ length: sheet.rowCount }, (_, i) => cells(i + 1).join('|')).join('\n');
    expect(everything).toContain('Trường THCS An Bình');
    expect(everything).toContain('Trường Tiểu học Phú Thạnh');
    expect(cells(1).join('|')).toMatch(/[ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/);
    await context.close();
  });
});
