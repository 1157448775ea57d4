// Issue 15: a customer who uses a WhatsApp username and shares no number is
// a first-class chat (named, searchable, answered by BSUID), and WhatsApp's
// "changed their phone number" shows as a system line in the chat.
import { randomUUID } from 'node:crypto';
import { test, expect, row, metaCallback, inboxCli } from './fixtures';

const thread = (page) => page.getByRole('main').getByRole('log');
const composer = (page) => page.getByRole('main').getByLabel('Type a message');
const now = () => Math.floor(Date.now() / 1000).toString();

test('a username customer without a number is shown by name, found by username and answered', async ({ app: page, tenant }) => {
  const bsuid = `US.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const username = `@sheena${Math.floor(Math.random() * 1e6)}`;
  await metaCallback(page.request, tenant, {
    contacts: [{ profile: { name: 'Sheena Nelson', username }, user_id: bsuid }],
    messages: [{ from_user_id: bsuid, id: `wamid.e2e.${randomUUID()}`, timestamp: now(), type: 'text', text: { body: 'Does it come in another color?' } }],
  });
  const r = row(page, /Sheena Nelson/);
  await expect(r).toContainText('Does it come in another color?');

  // Found by the username in the search.
  await page.getByRole('searchbox', { name: 'Search chats' }).fill(username.slice(1));
  await expect(r).toBeVisible();
  await r.click();
  const main = page.getByRole('main', { name: 'Chat with Sheena Nelson' });
  await expect(main).toBeVisible();
  // The header's second line is the username: there is no number to show.
  await expect(main.getByText(username, { exact: true })).toBeVisible();

  // The reply goes out by BSUID; the sandbox reports it read like any other.
  await composer(page).fill('Yes: blue and green.');
  await composer(page).press('Enter');
  const bubble = thread(page).locator('.msg.out').last();
  await expect(bubble.getByRole('img', { name: 'Read' })).toBeVisible({ timeout: 15_000 });

  // WhatsApp reports a number change: a system line, not a customer bubble.
  await metaCallback(page.request, tenant, {
    messages: [{
      from_user_id: bsuid, id: `wamid.e2e.${randomUUID()}`, timestamp: now(), type: 'system',
      system: { body: 'Sheena Nelson changed their phone number', type: 'user_changed_number', wa_id: '16505559999', user_id: `${bsuid}9` },
    }],
  });
  const line = thread(page).getByRole('note').filter({ hasText: 'changed their phone number' });
  await expect(line).toBeVisible();
  await expect(thread(page).locator('.msg').filter({ hasText: 'changed their phone number' })).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('username-customer.png') });
});

test('a company that allows new ranges can start a chat with a number the phone library does not list', async ({ app: page, tenant }) => {
  const newChat = page.getByRole('complementary', { name: 'Chats' }).getByRole('button', { name: 'New chat' });
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  // Strict by default: the refusal names the rule.
  await newChat.click();
  await dialog.getByLabel('Phone number').fill('+1 415 055 0199');
  await dialog.getByLabel('Phone number').blur();
  await expect(dialog.getByText(/rule: valid numbers only/)).toBeVisible();
  await page.keyboard.press('Escape');

  inboxCli(['set-number-rule', '--company', tenant.companyId, '--rule', 'possible']);
  await page.reload();
  await newChat.click();
  await dialog.getByLabel('Phone number').fill('+1 415 055 0199');
  await dialog.getByLabel('Phone number').blur();
  await expect(dialog.getByText(/Not in its country's numbering plan yet/)).toBeVisible();
  await dialog.getByLabel('Message').fill('Welcome!');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('main', { name: /Chat with \+1/ })).toBeVisible();
  await expect(page.getByRole('main').getByRole('log').getByText('Welcome!')).toBeVisible();
});
