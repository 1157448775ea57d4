// Plan 10.3 "New Message Modal Flow", 10.4 edge cases, 13 modal states.
import { test, expect, row, freshPhone, baseUrl } from './fixtures';

const newChat = (page) => page.getByRole('complementary', { name: 'Chats' }).getByRole('button', { name: 'New chat' });

test('opens with the + button, validates phone and text, and keeps Send disabled until both are valid', async ({ app: page }) => {
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await expect(dialog).toBeVisible();
  const phone = dialog.getByLabel('Phone number');
  const message = dialog.getByLabel('Message');
  const send = dialog.getByRole('button', { name: 'Send' });
  await expect(phone).toBeFocused();
  await expect(send).toBeDisabled();

  // Invalid numbers in several formats, each with the server's own message.
  const invalid: [string, RegExp][] = [
    ['abc', /only digits/],
    ['12345', /too short/],
    ['+1 415 555', /too short|not a valid/i],
    ['+999 1234 5678', /not a valid|country/i],
    ['+1 (415) 555-01234567890', /too long|not a valid/i],
  ];
  for (const [input, error] of invalid) {
    await phone.fill(input);
    await phone.blur();
    await expect(dialog.getByText(error)).toBeVisible();
    await expect(phone).toHaveAttribute('aria-invalid', 'true');
    await expect(send).toBeDisabled();
  }

  // A valid number is shown formatted; "00" works as the international prefix.
  await phone.fill('0044 7911 123456');
  await expect(dialog.getByText('+44 7911 123456')).toBeVisible();
  await expect(phone).toHaveAttribute('aria-invalid', 'false');
  await expect(send).toBeDisabled();

  // Message text: empty (or only spaces) is refused.
  await message.fill('   ');
  await expect(dialog.getByText(/empty|required/i)).toBeVisible();
  await expect(send).toBeDisabled();
  await message.fill('Hello there');
  await expect(send).toBeEnabled();

  // Esc closes the modal.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('sending shows a spinner, then the modal closes, the chat opens at the top of the list and a toast confirms', async ({ app: page }) => {
  const phone = freshPhone();
  // Hold the request a moment so the busy state can be seen.
  await page.route('**/api/messages', async (route) => {
    await new Promise((r) => setTimeout(r, 800));
    await route.continue();
  });
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByLabel('Phone number').fill(phone.e164);
  await dialog.getByLabel('Message').fill('Your order is ready 🎉');
  await dialog.getByRole('button', { name: 'Send' }).click();
  const busy = dialog.locator('button[aria-busy="true"]');
  await expect(busy).toBeVisible();
  await expect(busy).toBeDisabled();
  await expect(dialog.getByLabel('Phone number')).toBeDisabled();

  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').getByText('Message sent successfully')).toBeVisible();
  const first = page.getByRole('listbox').getByRole('option').first();
  await expect(first).toContainText(phone.e164.slice(-4));
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('main').locator('.msg.out').last()).toContainText('Your order is ready 🎉');
  await expect(page).toHaveURL(/\?c=[0-9a-f-]{36}/);
});

test('a refused send shows the error, keeps the modal open with the input, and can be retried', async ({ app: page }) => {
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  // The sandbox refuses numbers ending in 0000 for good.
  await dialog.getByLabel('Phone number').fill('+1 415 555 0000');
  await dialog.getByLabel('Message').fill('Will this arrive?');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/not a WhatsApp number|Undeliverable/);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Phone number')).toHaveValue('+1 415 555 0000');
  await expect(dialog.getByLabel('Message')).toHaveValue('Will this arrive?');
  // The failed message's chat exists now (stored as failed, retryable there).
  await expect(row(page, /0000/)).toBeVisible();

  // The network drops once: the error says so; the next try goes through.
  const phone = freshPhone();
  await dialog.getByLabel('Phone number').fill(phone.e164);
  await page.route('**/api/messages', (route) => route.abort('connectionreset'), { times: 1 });
  await dialog.getByRole('button', { name: /Send|Try again/ }).click();
  await expect(dialog.getByRole('alert')).toContainText('No connection to the server');
  await expect(dialog.getByLabel('Message')).toHaveValue('Will this arrive?');
  await dialog.getByRole('button', { name: 'Try again' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, new RegExp(phone.e164.slice(-4)))).toHaveAttribute('aria-selected', 'true');
});

test('emoji and a 4096-character message arrive intact; 4097 characters cannot be sent', async ({ app: page }) => {
  const phone = freshPhone();
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByLabel('Phone number').fill(phone.e164);
  const emoji = 'Olá! 👋🏽 Ça va? 🇧🇷 <b>not bold</b> & "quotes" — ✓';
  await dialog.getByLabel('Message').fill(emoji);
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden();
  const thread = page.getByRole('main').getByRole('log');
  await expect(thread.locator('.msg.out .text').last()).toHaveText(emoji);

  const composer = page.getByRole('main').getByLabel('Type a message');
  const long = 'x'.repeat(4095) + '🙂';
  await composer.fill(long + 'y');
  await expect(page.getByRole('main').getByText('4097 / 4096')).toBeVisible();
  await expect(page.getByRole('main').getByRole('button', { name: 'Send' })).toBeDisabled();
  await composer.fill(long);
  await expect(page.getByRole('main').getByText('4096 / 4096')).toBeVisible();
  await composer.press('Enter');
  const last = thread.locator('.msg.out').last();
  await expect(last).toHaveAttribute('data-status', /sent|delivered|read/);
  expect(await last.locator('.text').textContent()).toBe(long);
  // And the server stored exactly that.
  await page.reload();
  const stored = page.getByRole('main').getByRole('log').locator('.msg.out .text').last();
  expect(await stored.textContent()).toBe(long);
});
