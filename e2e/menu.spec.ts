// Plan 10.3 "3-Dots Menu": assign, clear and delete with confirmation, and
// optimistic changes rolled back when the server refuses (plan 8.3).
import { test, expect, row, inbound, freshPhone } from './fixtures';

async function openChat(page, tenant, name = 'Dmitri Volkov') {
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Question about my invoice', name);
  await inbound(page.request, tenant, phone.digits, 'It is number 4411', name);
  await row(page, new RegExp(name)).click();
  await expect(page.getByRole('main').getByRole('log').getByText('It is number 4411')).toBeVisible();
  return phone;
}

test('the menu shows the actions; assigning picks an agent from a searchable list', async ({ app: page, tenant }) => {
  await openChat(page, tenant);
  await page.getByRole('button', { name: 'Chat menu' }).click();
  const menu = page.getByRole('menu', { name: 'Chat menu' });
  for (const item of ['Assign to user…', 'Add to favorites', 'Archive chat', 'Clear chat', 'Delete chat']) {
    await expect(menu.getByRole('menuitem', { name: item })).toBeVisible();
  }
  await menu.getByRole('menuitem', { name: 'Assign to user…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Assign to user' });
  await expect(dialog.getByRole('button', { name: /Unassigned/ })).toHaveAttribute('aria-pressed', 'true');
  await dialog.getByLabel('Search agents').fill('ben');
  await expect(dialog.getByRole('button', { name: /Ana Agent/ })).toHaveCount(0);
  await dialog.getByRole('button', { name: /Ben Colleague/ }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Assigned to Ben Colleague. Change assignee' })).toBeVisible();
  await expect(page.getByRole('status').getByText('Assigned to Ben Colleague')).toBeVisible();

  // Kept by the server; the current one is marked; Unassigned clears it.
  await page.reload();
  await page.getByRole('button', { name: /Assigned to Ben Colleague/ }).click();
  await expect(dialog.getByRole('button', { name: /Ben Colleague/ })).toHaveAttribute('aria-pressed', 'true');
  await dialog.getByRole('button', { name: /Unassigned/ }).click();
  await expect(page.getByRole('button', { name: 'Unassigned. Assign to a user' })).toBeVisible();
});

test('a refused assignment is rolled back with a toast', async ({ app: page, tenant }) => {
  await openChat(page, tenant);
  await page.route('**/api/conversations/*/assignee', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'db down', code: 'SERVICE_UNAVAILABLE' }) }),
  );
  await page.getByRole('button', { name: /Unassigned/ }).click();
  await page.getByRole('dialog', { name: 'Assign to user' }).getByRole('button', { name: /Ana Agent/ }).click();
  await expect(page.getByRole('alert').getByText(/Could not assign the chat/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Unassigned. Assign to a user' })).toBeVisible();
});

test('favorite and unfavorite show and hide the star', async ({ app: page, tenant }) => {
  await openChat(page, tenant);
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Add to favorites' }).click();
  await expect(row(page, /Dmitri Volkov/).getByTitle('Favorite')).toBeVisible();
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Remove from favorites' }).click();
  await expect(row(page, /Dmitri Volkov/).getByTitle('Favorite')).toHaveCount(0);
});

test('Clear chat asks first, then clears the messages but keeps the chat', async ({ app: page, tenant }) => {
  await openChat(page, tenant);
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Clear chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Clear chat with Dmitri Volkov?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('main').getByRole('log').getByText('It is number 4411')).toBeVisible();

  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Clear chat' }).click();
  await dialog.getByRole('button', { name: 'Clear chat' }).click();
  await expect(page.getByText('No messages. Start the conversation!')).toBeVisible();
  await expect(page.getByRole('status').getByText('Chat cleared')).toBeVisible();
  await page.reload();
  await expect(page.getByText('No messages. Start the conversation!')).toBeVisible();
  await expect(row(page, /Dmitri Volkov/)).toBeVisible();
});

test('Delete chat asks first, then removes the chat for good', async ({ app: page, tenant }) => {
  await openChat(page, tenant);
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Delete chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete chat with Dmitri Volkov?' });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(row(page, /Dmitri Volkov/)).toBeVisible();

  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Delete chat' }).click();
  await dialog.getByRole('button', { name: 'Delete chat' }).click();
  await expect(row(page, /Dmitri Volkov/)).toHaveCount(0);
  await expect(page.getByRole('status').getByText('Chat deleted')).toBeVisible();
  await expect(page.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await page.reload();
  await expect(page.getByText('No conversations. Start a new chat with the + button.')).toBeVisible();
});

test('Mark as unread closes the chat and shows it unread until opened again; Ctrl+Alt+Shift+U does it from the keyboard', async ({ app: page, tenant }) => {
  await openChat(page, tenant, 'Greta Lind');
  await expect(row(page, 'Greta Lind').locator('.badge')).toHaveCount(0);
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menu', { name: 'Chat menu' }).getByRole('menuitem', { name: 'Mark as unread' }).click();
  await expect(page.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await expect(row(page, /Greta Lind, 1 unread/)).toBeVisible();
  // Kept by the server.
  await page.reload();
  await expect(row(page, /Greta Lind, 1 unread/)).toBeVisible();
  // Opening it reads it; the shortcut marks it unread again.
  await row(page, /Greta Lind/).click();
  await expect(row(page, 'Greta Lind').locator('.badge')).toHaveCount(0);
  await page.keyboard.press('Control+Alt+Shift+KeyU');
  await expect(page.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await expect(row(page, /Greta Lind, 1 unread/)).toBeVisible();
});
