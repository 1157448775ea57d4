// Mobile width, keyboard-only use, and UI state kept in the URL and storage.
import { test, expect, row, inbound, freshPhone } from './fixtures';

test('up to 700px one pane at a time: the list, then the chat with a back arrow', async ({ app: page, tenant }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Small screen hello', 'Sofía Martínez');
  const sidebar = page.getByRole('complementary', { name: 'Chats' });
  await expect(sidebar).toBeVisible();
  await expect(page.getByRole('main')).toBeHidden();
  await row(page, /Sofía Martínez/).click();
  const chat = page.getByRole('main', { name: 'Chat with Sofía Martínez' });
  await expect(chat).toBeVisible();
  await expect(sidebar).toBeHidden();
  await chat.getByLabel('Type a message').fill('Replying from my phone');
  await chat.getByLabel('Type a message').press('Enter');
  await expect(chat.locator('.msg.out').last()).toContainText('Replying from my phone');
  await chat.getByRole('button', { name: 'Back to chats' }).click();
  await expect(sidebar).toBeVisible();
  await expect(row(page, /Sofía Martínez/)).toContainText('Replying from my phone');
});

test('keyboard only: shortcuts, focus kept inside modals, arrow keys through the list, Enter to open and send', async ({ app: page, tenant }) => {
  for (const name of ['Ada Keys', 'Bo Keys', 'Cy Keys']) {
    await inbound(page.request, tenant, freshPhone().digits, `Hi from ${name}`, name);
  }
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);

  // Ctrl+Alt+N opens New chat with the phone field focused; Tab stays inside; Esc closes.
  await page.keyboard.press('Control+Alt+KeyN');
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await expect(dialog.getByLabel('Phone number')).toBeFocused();
  for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Shift+Tab');
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Ctrl+Alt+/ jumps to search.
  await page.keyboard.press('Control+Alt+Slash');
  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeFocused();

  // Tab to the list, arrows move, Enter opens.
  const list = page.getByRole('listbox', { name: 'Chats' });
  await list.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const active = await list.getAttribute('aria-activedescendant');
  expect(active).toMatch(/^row-/);
  await page.keyboard.press('Enter');
  const selected = list.getByRole('option', { selected: true });
  await expect(selected).toHaveAttribute('id', active!);
  // The composer has focus once a chat opens: type and Enter sends.
  const composer = page.getByRole('main').getByLabel('Type a message');
  await expect(composer).toBeFocused();
  await page.keyboard.type('Sent without a mouse');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main').locator('.msg.out').last()).toContainText('Sent without a mouse');

  // The chat menu works from the keyboard too.
  await page.getByRole('button', { name: 'Chat menu' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem').first()).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Add to favorites' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toBeHidden();
  await expect(page.getByRole('button', { name: 'Chat menu' })).toBeFocused();
});

test('the open chat and the filter survive a reload, and the back button returns to the previous chat', async ({ app: page, tenant }) => {
  await inbound(page.request, tenant, freshPhone().digits, 'First', 'Elif Demir');
  await inbound(page.request, tenant, freshPhone().digits, 'Second', 'Farid Aziz');
  await row(page, /Elif Demir/).click();
  await expect(page).toHaveURL(/\?c=/);
  const elifUrl = page.url();
  await row(page, /Farid Aziz/).click();
  await expect(page.getByRole('main', { name: 'Chat with Farid Aziz' })).toBeVisible();

  await page.goBack();
  await expect(page.getByRole('main', { name: 'Chat with Elif Demir' })).toBeVisible();
  expect(page.url()).toBe(elifUrl);

  await page.getByRole('group', { name: 'Filter chats' }).getByRole('button', { name: 'Favorites' }).click();
  await page.reload();
  await expect(page.getByRole('main', { name: 'Chat with Elif Demir' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Favorites' })).toHaveAttribute('aria-pressed', 'true');

  // A bare "/" restores the last view from localStorage.
  await page.goto('/');
  await expect(page.getByRole('main', { name: 'Chat with Elif Demir' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Favorites' })).toHaveAttribute('aria-pressed', 'true');
});

test("another company's chat id in the URL shows nothing of it", async ({ app: page, tenant, browser }) => {
  // A chat of the demo company, opened by an agent of another company.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  const res = await otherPage.request.post(`${process.env.INBOX_URL}/api/auth/login`, {
    data: { email: 'ana@demo.test', password: 'demo-password' },
    headers: { Origin: process.env.INBOX_URL! },
  });
  expect(res.status()).toBe(200);
  const list = await (await otherPage.request.get(`${process.env.INBOX_URL}/api/conversations?limit=1`)).json();
  const foreign = list.conversations[0];
  await other.close();

  await page.goto(`/?c=${foreign.id}`);
  await expect(page.getByRole('status').getByText('That chat no longer exists.')).toBeVisible();
  await expect(page.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await expect(page.getByText(foreign.contact.name ?? foreign.contact.phoneNumber)).toHaveCount(0);
});
