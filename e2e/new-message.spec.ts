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
  // The agent who starts a chat takes it.
  await expect(page.getByRole('button', { name: 'Assigned to Ana Agent. Change assignee' })).toBeVisible();
  await expect(page).toHaveURL(/\?c=[0-9a-f-]{36}/);
});

test('a send WhatsApp refuses closes onto its chat with one failed message, retried there in place', async ({ app: page }) => {
  // Sandbox: a number ending in 0001 is refused the first time, accepted after.
  const phone = freshPhone().digits.slice(0, -4) + '0001';
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByLabel('Phone number').fill(`+${phone}`);
  await dialog.getByLabel('Message').fill('Will this arrive?');
  await dialog.getByRole('button', { name: 'Send' }).click();
  // The message exists: the dialog closes onto its chat, the failure and
  // Retry are on the bubble, as for any failed send.
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('alert').getByText('Failed to send message.')).toBeVisible();
  const r = row(page, new RegExp(`${phone.slice(4, 7)}\\D?0001`));
  await expect(r).toHaveAttribute('aria-selected', 'true');
  const bubble = page.getByRole('main').getByRole('log').locator('.msg.out', { hasText: 'Will this arrive?' });
  await expect(bubble).toHaveCount(1);
  await expect(bubble).toHaveAttribute('data-status', 'failed');
  await expect(bubble).toContainText(/Not delivered: .*refused the first time/);
  await bubble.getByRole('button', { name: 'Retry', exact: true }).click();
  await expect(bubble).toHaveAttribute('data-status', /^(sent|delivered|read)$/);
  // One message, sent in place: no second one was made.
  const list = await (await page.request.get(`${baseUrl()}/api/conversations?search=${phone.slice(-7)}`)).json();
  const id = list.conversations[0].id;
  const messages = await (await page.request.get(`${baseUrl()}/api/conversations/${id}/messages`)).json();
  expect(messages.messages.map((m) => m.content)).toEqual(['Will this arrive?']);
});

test('a send that gets no answer keeps the modal open with the input, and Try again goes through', async ({ app: page }) => {
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  const phone = freshPhone();
  await dialog.getByLabel('Phone number').fill(phone.e164);
  await dialog.getByLabel('Message').fill('Will this arrive?');
  // The network drops once: the error says so; the next try goes through.
  await page.route('**/api/messages', (route) => route.abort('connectionreset'), { times: 1 });
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByRole('alert')).toContainText('No connection to the server');
  await expect(dialog.getByLabel('Phone number')).toHaveValue(phone.e164);
  await expect(dialog.getByLabel('Message')).toHaveValue('Will this arrive?');
  await dialog.getByRole('button', { name: 'Try again' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, new RegExp(phone.e164.slice(-4)))).toHaveAttribute('aria-selected', 'true');
});

test("the New chat hint's example number is one the form accepts", async ({ app: page }) => {
  await newChat(page).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  const hint = (await dialog.getByText(/With the country code, e\.g\./).textContent()) ?? '';
  const example = hint.replace(/.*e\.g\.\s*/, '').trim();
  expect(example).toMatch(/^\+\d[\d ]+$/);
  await dialog.getByLabel('Phone number').fill(example);
  await dialog.getByLabel('Phone number').blur();
  await expect(dialog.locator('.ok-msg')).toBeVisible();
  await expect(dialog.locator('.err-msg')).toHaveCount(0);
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
