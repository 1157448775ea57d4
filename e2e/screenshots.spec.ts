// The main screens with the demo data. `make screenshots` writes them to
// docs/screenshots/ for the README (compare them with ../shared/design/);
// a plain test run keeps them under e2e/test-results/.
import { test, expect, signIn, baseUrl } from './fixtures';
import { resolve } from 'node:path';

const dir = process.env.SCREENSHOT_DIR
  ? resolve(process.cwd(), process.env.SCREENSHOT_DIR)
  : resolve(__dirname, 'test-results', 'screenshots');
const out = (name: string) => resolve(dir, name);

test('screenshots of the main screens', async ({ page }) => {
  await signIn(page, 'ana@demo.test', 'demo-password');
  const list = await (await page.request.get(`${baseUrl()}/api/conversations?limit=100`)).json();
  // A story of the demo (crates/api/src/seed/stories.txt): a complaint
  // about a damaged towel, with a photo, resolved.
  const named = list.conversations.find((c) => c.contact.name === 'Daniel Murphy');
  const failed = list.conversations.find((c) => c.lastMessageStatus === 'failed');
  expect(named).toBeTruthy();
  expect(failed).toBeTruthy();

  await page.goto(`/?c=${named.id}`);
  await expect(page.getByRole('main').getByRole('log').locator('.msg').first()).toBeVisible();
  await page.waitForTimeout(500);
  await page.screenshot({ path: out('desktop.png') });

  await page.keyboard.press('Control+Alt+KeyN');
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByLabel('Phone number').fill('+44 7700 900');
  await dialog.getByLabel('Phone number').blur();
  await dialog.getByLabel('Message').fill('Hi! Your order #48213 is ready for pickup 📦');
  await expect(dialog.getByText(/too short|not a valid/i)).toBeVisible();
  await page.screenshot({ path: out('new-chat-modal.png') });
  await page.keyboard.press('Escape');

  await page.goto(`/?c=${failed.id}`);
  await expect(page.getByRole('main').locator('.msg[data-status="failed"]').last()).toBeVisible();
  await page.waitForTimeout(300);
  await page.screenshot({ path: out('failed-message.png') });

  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto('/');
  await expect(page.getByRole('listbox', { name: 'Chats' })).toBeVisible();
  await page.screenshot({ path: out('mobile-list.png') });
  await page.getByRole('listbox', { name: 'Chats' }).getByRole('option').first().click();
  await expect(page.getByRole('main').getByRole('log').locator('.msg').first()).toBeVisible();
  await page.waitForTimeout(300);
  await page.screenshot({ path: out('mobile-chat.png') });
});
