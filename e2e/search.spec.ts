// Issue 17, message search as WhatsApp Web does it: the sidebar lists the
// chats that match and then the messages; a message hit opens its chat at
// that message (loading the page around it) and marks it; the chat's own
// search steps through its hits.
import { randomUUID } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, metaCallback, freshPhone, row, chat, Tenant } from './fixtures';

/** A customer's messages delivered in one webhook call (Meta batches them so). */
async function inboundMany(request: APIRequestContext, tenant: Tenant, digits: string, texts: string[], name: string) {
  const now = Math.floor(Date.now() / 1000);
  await metaCallback(request, tenant, {
    contacts: [{ profile: { name }, wa_id: digits }],
    messages: texts.map((text) => ({
      from: digits,
      id: `wamid.e2e.${randomUUID()}`,
      timestamp: now.toString(),
      type: 'text',
      text: { body: text },
    })),
  });
}

/** Lena's long chat: the question about Zürich, then 80 later messages. */
async function longChat(page: Page, tenant: Tenant) {
  const lena = freshPhone();
  await inboundMany(page.request, tenant, lena.digits, ['Do you ship to Zürich?'], 'Lena Fischer');
  const later = Array.from({ length: 80 }, (_, i) => `filler line ${i + 1}`);
  await inboundMany(page.request, tenant, lena.digits, later, 'Lena Fischer');
  const omar = freshPhone();
  await inboundMany(page.request, tenant, omar.digits, ['What do zurich deliveries cost?'], 'Omar Haddad');
  await expect(row(page, /Lena Fischer/)).toBeVisible();
  await expect(row(page, /Omar Haddad/)).toBeVisible();
}

const hits = (page: Page) => page.getByRole('region', { name: 'Messages found' }).getByRole('button');

test('message search lists matching messages after the chats, with the found word marked', async ({ app: page, tenant }) => {
  await longChat(page, tenant);
  await page.getByRole('searchbox', { name: 'Search chats' }).fill('ZURICH');
  // No chat is named so; two messages say it, newest first, accents ignored.
  await expect(page.getByText('No chats match “ZURICH”.')).toBeVisible();
  await expect(hits(page)).toHaveCount(2);
  await expect(hits(page).nth(0)).toContainText('Omar Haddad');
  await expect(hits(page).nth(1)).toContainText('Lena Fischer');
  await expect(hits(page).nth(1).locator('mark')).toHaveText('Zürich');
  // A search with nothing to find says so.
  await page.getByRole('searchbox', { name: 'Search chats' }).fill('parcel');
  await expect(page.getByText('No messages found.')).toBeVisible();
});

for (const [label, size] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`a message hit opens its chat at that message and marks it (${label})`, async ({ app: page, tenant }) => {
    await page.setViewportSize(size);
    await longChat(page, tenant);
    await page.getByRole('searchbox', { name: 'Search chats' }).fill('zurich ship');
    await expect(hits(page)).toHaveCount(1);
    await hits(page).first().click();
    const hit = chat(page).locator('.msg', { hasText: 'Do you ship to Zürich?' });
    // Older than the newest page (50): only the page around it brings it.
    await expect(hit).toBeInViewport();
    await expect(hit).toHaveClass(/flash/);
    await expect(chat(page).getByText('filler line 80')).toHaveCount(0);
    // Back to the newest messages, as WhatsApp's arrow does.
    await chat(page).getByRole('button', { name: /Go to newest messages/ }).click();
    await expect(chat(page).getByText('filler line 80')).toBeInViewport();
    await expect(chat(page).getByRole('button', { name: /Go to newest messages/ })).toHaveCount(0);
  });
}

test('scrolling down from a hit loads the newer messages up to the newest', async ({ app: page, tenant }) => {
  await longChat(page, tenant);
  await page.getByRole('searchbox', { name: 'Search chats' }).fill('zurich ship');
  await hits(page).first().click();
  await expect(chat(page).locator('.msg', { hasText: 'Do you ship to Zürich?' })).toBeInViewport();
  const wall = chat(page).locator('.wall');
  // Each scroll to the bottom loads the next newer page, until the newest.
  await expect
    .poll(async () => {
      await wall.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      return chat(page).getByText('filler line 80', { exact: true }).count();
    })
    .toBe(1);
  // Every message once, in order.
  const texts = await chat(page).locator('.msg .bubble').allInnerTexts();
  const fillers = texts.map((t) => t.match(/filler line (\d+)/)?.[1]).filter(Boolean).map(Number);
  expect(fillers).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
});

test("a chat's own search steps through its hits with Enter and the arrows", async ({ app: page, tenant }) => {
  await longChat(page, tenant);
  await row(page, /Lena Fischer/).click();
  await chat(page).getByRole('button', { name: 'Search in this chat' }).click();
  const box = chat(page).getByRole('searchbox', { name: 'Search in this chat' });
  await expect(box).toBeFocused();
  // "filler line 7" matches 7 and 70..79 (each word is a prefix): 11 hits.
  await box.fill('filler line 7');
  await expect(chat(page).getByText('1 of 11')).toBeVisible();
  await expect(chat(page).locator('.msg.flash')).toContainText('filler line 79');
  await box.press('Enter');
  await expect(chat(page).getByText('2 of 11')).toBeVisible();
  await expect(chat(page).locator('.msg', { hasText: 'filler line 78' })).toBeInViewport();
  await chat(page).getByRole('button', { name: 'Older result' }).click();
  await expect(chat(page).getByText('3 of 11')).toBeVisible();
  await chat(page).getByRole('button', { name: 'Newer result' }).click();
  await expect(chat(page).getByText('2 of 11')).toBeVisible();
  // The oldest hit lies before the newest page: it is loaded around.
  for (let i = 2; i < 11; i++) await box.press('Enter');
  await expect(chat(page).getByText('11 of 11')).toBeVisible();
  await expect(chat(page).getByText('filler line 7', { exact: true })).toBeInViewport();
  await box.press('Escape');
  await expect(box).toHaveCount(0);
  await expect(chat(page)).toBeVisible();
});
