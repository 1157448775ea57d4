// Sign-in, a session that survives a reload, and logout (issue 6: screens).
import { test, expect, PASSWORD, row, inbound, freshPhone } from './fixtures';

test('signs in with the form, stays signed in after a reload, and logs out from the menu', async ({ page, tenant }) => {
  await page.goto('/');
  await page.getByLabel('Email').fill(tenant.agent.email);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /invalid|incorrect|wrong/i })).toBeVisible();

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  const sidebar = page.getByRole('complementary', { name: 'Chats' });
  await expect(sidebar).toBeVisible();
  await expect(sidebar.getByText(tenant.agent.name)).toBeVisible();
  await expect(page.getByText('No conversations. Start a new chat with the + button.')).toBeVisible();

  await page.reload();
  await expect(sidebar).toBeVisible();

  await sidebar.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Email')).toBeVisible();
});

test('an expired session returns to the sign-in page instead of showing errors', async ({ page, tenant, context }) => {
  const phone = freshPhone();
  await page.goto('/');
  await page.getByLabel('Email').fill(tenant.agent.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await inbound(page.request, tenant, phone.digits, 'Hello?', 'Nora Expired');
  await expect(row(page, /Nora Expired/)).toBeVisible();
  await context.clearCookies();
  // The next request finds the session gone.
  await page.getByRole('group', { name: 'Filter chats' }).getByRole('button', { name: 'Unread' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();
  await expect(page.getByText('Your session ended. Please sign in again.')).toBeVisible();
});
