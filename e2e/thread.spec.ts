// Issue 17 "Reading messages": where the thread starts and stays. The unread
// divider and the view starting at it, the jump-to-bottom button with the
// count of new messages, the newest message kept in view across window
// resizes, a failure reason scrolled into view, and toasts never covering
// the composer. At desktop and phone sizes where the layout matters.
import type { Locator, Page } from '@playwright/test';
import { test, expect, row, inbound, freshPhone, Tenant } from './fixtures';

const thread = (page: Page) => page.getByRole('main').getByRole('log');
const composer = (page: Page) => page.getByRole('main').getByLabel('Type a message');
const message = (page: Page, text: string) => thread(page).getByText(text, { exact: true });
const jump = (page: Page) => page.getByRole('button', { name: /^Scroll to the newest message/ });
const divider = (page: Page) => thread(page).getByRole('separator');

const sizes = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
];

/** `locator` ends above the composer's top edge (not hidden behind it). */
async function aboveComposer(page: Page, locator: Locator) {
  const box = (await locator.boundingBox())!;
  const top = (await page.locator('.composer').boundingBox())!.y;
  expect(box.y + box.height).toBeLessThanOrEqual(top);
}

/** A chat with `n` messages from the customer, read (opened once), open again at its newest. */
async function readChat(page: Page, tenant: Tenant, name: string, n: number, prefix = 'Earlier message') {
  const phone = freshPhone();
  for (let i = 1; i <= n; i++) await inbound(page.request, tenant, phone.digits, `${prefix} ${i}`, name);
  await row(page, new RegExp(name)).click();
  await expect(message(page, `${prefix} ${n}`)).toBeAttached();
  await page.keyboard.press('Escape');
  await expect(row(page, name).locator('.badge')).toHaveCount(0);
  await row(page, new RegExp(name)).click();
  await expect(message(page, `${prefix} ${n}`)).toBeInViewport();
  return phone;
}

for (const size of sizes) {
  test.describe(size.name, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test('an unread divider sits above the first unread message and the view starts there; it stays while the chat is open and is gone on reopening', async ({ app: page, tenant }) => {
      const phone = await readChat(page, tenant, 'Hana Kobayashi', 3);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('main', { name: 'Chat with Hana Kobayashi' })).toBeHidden();
      // 30 unread messages are taller than the view.
      for (let i = 1; i <= 30; i++) await inbound(page.request, tenant, phone.digits, `Unread question ${i}`, 'Hana Kobayashi');
      await expect(row(page, /Hana Kobayashi, 30 unread/)).toBeVisible({ timeout: 15_000 });
      await row(page, /Hana Kobayashi/).click();

      await expect(divider(page)).toHaveText('30 unread messages');
      await expect(divider(page)).toBeInViewport();
      // Directly above the first unread message, which is in view; the newest is not.
      await expect(thread(page).locator('.unread-divider + .msg')).toContainText('Unread question 1');
      await expect(message(page, 'Unread question 1')).toBeInViewport();
      await expect(message(page, 'Unread question 30')).not.toBeInViewport();
      await expect(message(page, 'Earlier message 3')).toBeAttached();
      await page.screenshot({ path: `/tmp/chatux-divider-${size.name}.png` });

      // A message arriving while the agent reads does not move it.
      await inbound(page.request, tenant, phone.digits, 'Anyone there?', 'Hana Kobayashi');
      await expect(jump(page)).toHaveAccessibleName(/1 new message/, { timeout: 15_000 });
      await expect(divider(page)).toHaveText('30 unread messages');
      await expect(thread(page).locator('.unread-divider + .msg')).toContainText('Unread question 1');

      // Read now: reopened, the chat has no divider and starts at the bottom.
      await page.keyboard.press('Escape');
      await expect(row(page, 'Hana Kobayashi').locator('.badge')).toHaveCount(0);
      await row(page, /Hana Kobayashi/).click();
      await expect(message(page, 'Anyone there?')).toBeInViewport();
      await expect(thread(page).locator('.msg')).not.toHaveCount(0);
      await expect(divider(page)).toHaveCount(0);
    });

    test('a few unread messages show the divider with the view at the bottom', async ({ app: page, tenant }) => {
      const phone = await readChat(page, tenant, 'Ravi Menon', 20);
      await page.keyboard.press('Escape');
      await inbound(page.request, tenant, phone.digits, 'One more thing', 'Ravi Menon');
      await expect(row(page, /Ravi Menon, 1 unread/)).toBeVisible({ timeout: 15_000 });
      await row(page, /Ravi Menon/).click();
      await expect(divider(page)).toHaveText('1 unread message');
      await expect(message(page, 'One more thing')).toBeInViewport();
      await expect(jump(page)).toBeHidden();
    });

    test('scrolled up, a jump-to-bottom button counts the new messages; clicking it shows the newest and clears the count', async ({ app: page, tenant }) => {
      const phone = await readChat(page, tenant, 'Marta Silva', 40);
      // At the bottom: no button.
      await expect(jump(page)).toBeHidden();
      await page.locator('.wall').evaluate((el) => (el.scrollTop = 0));
      await expect(jump(page)).toHaveAccessibleName('Scroll to the newest message');
      await expect(jump(page).locator('.jump-count')).toHaveCount(0);

      await inbound(page.request, tenant, phone.digits, 'Hello?', 'Marta Silva');
      await inbound(page.request, tenant, phone.digits, 'Is the shop open today?', 'Marta Silva');
      await expect(jump(page)).toHaveAccessibleName('Scroll to the newest message, 2 new messages', { timeout: 15_000 });
      await expect(jump(page).locator('.jump-count')).toHaveText('2');
      await expect(message(page, 'Is the shop open today?')).not.toBeInViewport();
      await page.screenshot({ path: `/tmp/chatux-jump-${size.name}.png` });

      await jump(page).click();
      await expect(message(page, 'Is the shop open today?')).toBeInViewport();
      await expect(jump(page)).toBeHidden();
      // Scrolled up again, the count starts from nothing.
      await page.locator('.wall').evaluate((el) => (el.scrollTop = 0));
      await expect(jump(page)).toHaveAccessibleName('Scroll to the newest message');
    });

    test('a failure reason below the visible area is scrolled into view; an agent scrolled up is not moved', async ({ app: page, tenant }) => {
      await readChat(page, tenant, 'Tomás Ruiz', 40);
      // A proxy answering 503 without a body: a refusal, nothing stored.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      let hold = false;
      await page.route('**/api/conversations/*/messages', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        if (hold) await held;
        await route.fulfill({ status: 503, body: '' });
      });
      await composer(page).fill('Your refund is on its way');
      await composer(page).press('Enter');
      const bubble = thread(page).locator('.msg.out', { hasText: 'Your refund is on its way' });
      await expect(bubble).toHaveAttribute('data-status', 'failed');
      const note = bubble.locator('.fail-note');
      await expect(note).toContainText('Not delivered: The server is unavailable');
      await expect(note).toBeInViewport({ ratio: 1 });
      await aboveComposer(page, note);
      await expect(note.getByRole('button', { name: 'Retry' })).toBeInViewport({ ratio: 1 });

      // Scrolled up to read while a send is under way: its failure does not pull the view down.
      hold = true;
      await composer(page).fill('And a voucher for next time');
      await composer(page).press('Enter');
      const second = thread(page).locator('.msg.out', { hasText: 'And a voucher for next time' });
      await expect(second).toHaveAttribute('data-status', 'sending');
      const wall = page.locator('.wall');
      await wall.evaluate((el) => (el.scrollTop = 200));
      await expect(jump(page)).toBeVisible();
      release();
      await expect(second).toHaveAttribute('data-status', 'failed');
      expect(await wall.evaluate((el) => el.scrollTop)).toBe(200);
      await expect(second.locator('.fail-note')).not.toBeInViewport();
    });
  });
}

test('the newest message stays in view when the window is resized: 1440x900, 1440x500, 390x844', async ({ app: page, tenant }) => {
  await readChat(page, tenant, 'Ingrid Berg', 40);
  const newest = message(page, 'Earlier message 40');
  await expect(newest).toBeInViewport({ ratio: 1 });
  for (const [width, height] of [[1440, 500], [390, 844], [1440, 900]]) {
    await page.setViewportSize({ width, height });
    await expect(newest, `${width}x${height}`).toBeInViewport({ ratio: 1 });
    await aboveComposer(page, newest);
  }
});

test('toasts never cover the composer, at 1440, 390 and 320 px', async ({ app: page, tenant }) => {
  // Sandbox: numbers ending in 0000 are never WhatsApp numbers, so a send
  // from the chat fails with a toast.
  const digits = freshPhone().digits.slice(0, -4) + '0000';
  await inbound(page.request, tenant, digits, 'Hi, this is the front desk', 'Front Desk');
  await row(page, /Front Desk/).click();
  for (const [width, height] of [[1440, 900], [390, 844], [320, 640]]) {
    await page.setViewportSize({ width, height });
    await composer(page).fill(`Checking in (${width})`);
    await composer(page).press('Enter');
    const toast = page.getByRole('alert').locator('.toast', { hasText: 'Failed to send message.' }).last();
    await expect(toast).toBeVisible();
    const t = (await toast.boundingBox())!;
    const c = (await page.locator('.composer').boundingBox())!;
    expect(t.y + t.height, `${width}px: the toast ends above the composer`).toBeLessThanOrEqual(c.y);
    expect(t.x).toBeGreaterThanOrEqual(0);
    expect(t.x + t.width).toBeLessThanOrEqual(width);
    if (width === 390) await page.screenshot({ path: '/tmp/chatux-toast-390.png' });
    const dismiss = page.getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  }
});
