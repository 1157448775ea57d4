// Issue 17 "Finding things": a search for a number that matches no chat
// offers "Start a chat with +…", which opens New chat with the number filled
// in and the message box focused.
import type { Page } from '@playwright/test';
import { test, expect, row, inbound, freshPhone } from './fixtures';

const search = (page: Page) => page.getByRole('searchbox', { name: 'Search chats' });
const startRow = (page: Page) => page.getByRole('button', { name: /^Start a chat with/ });

for (const size of [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
]) {
  test(`a searched number no chat has offers "Start a chat with +…", which opens New chat ready to type (${size.name})`, async ({ app: page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    await search(page).fill('+447911123456');
    await expect(startRow(page)).toHaveText('Start a chat with +44 7911 123456');
    await page.screenshot({ path: `/tmp/chatux-start-${size.name}.png` });
    await startRow(page).click();

    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Phone number')).toHaveValue('+44 7911 123456');
    await expect(dialog.getByLabel('Message')).toBeFocused();
    await page.keyboard.type('Hello from the shop');
    await expect(dialog.getByRole('button', { name: 'Send' })).toBeEnabled();

    // Closed and opened again from the + button, it is empty.
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await page.keyboard.press('Control+Alt+KeyN');
    await expect(dialog.getByLabel('Phone number')).toHaveValue('');
    await expect(dialog.getByLabel('Phone number')).toBeFocused();
  });
}

test('Enter in the search box starts the chat with the number; a name or a number a chat has offers nothing', async ({ app: page, tenant }) => {
  // "00" as the international prefix.
  await search(page).fill('0034 612 345 678');
  await expect(startRow(page)).toHaveText('Start a chat with +34 612 34 56 78');
  await search(page).press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await expect(dialog.getByLabel('Phone number')).toHaveValue('+34 612 34 56 78');
  await expect(dialog.getByLabel('Message')).toBeFocused();
  await page.keyboard.press('Escape');

  // Not a number: only the empty state.
  await search(page).fill('zebra');
  await expect(page.getByText('No chats match “zebra”.')).toBeVisible();
  await expect(startRow(page)).toHaveCount(0);

  // A number a chat has: the chat, not the offer.
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Hi there', 'Pia Lund');
  await search(page).fill(phone.e164);
  await expect(row(page, /Pia Lund/)).toBeVisible();
  await expect(startRow(page)).toHaveCount(0);
});
