// Issue 17 "Offline sends are lost to the agent": a message sent while the
// browser is offline, or whose send got no answer, is queued (a clock and
// "Waiting for network", no error) and goes out by itself when the
// connection returns, under the client key it was created with, so a send
// that did reach the server is never doubled. Only a refusal is a failure.
import type { Page } from '@playwright/test';
import { test, expect, row, inbound, freshPhone, baseUrl } from './fixtures';

const thread = (page: Page) => page.getByRole('main').getByRole('log');
const composer = (page: Page) => page.getByRole('main').getByLabel('Type a message');
const outgoing = (page: Page, text: string) => thread(page).locator('.msg.out', { hasText: text });

type StoredMessage = { content: string; providerMessageId: string | null; status: string };

/** What the server holds for the open chat (newest first). */
async function stored(page: Page): Promise<StoredMessage[]> {
  const id = new URL(page.url()).searchParams.get('c');
  const res = await page.request.get(`${baseUrl()}/api/conversations/${id}/messages`);
  expect(res.ok()).toBeTruthy();
  return (await res.json()).messages;
}

/** The client keys of the sends the page posts to the open chat. */
function watchSends(page: Page): string[] {
  const keys: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && /\/api\/conversations\/[^/]+\/messages$/.test(req.url())) {
      keys.push(req.postDataJSON().clientKey);
    }
  });
  return keys;
}

test('messages sent offline wait with a clock and go out when the connection returns, once each, in the order written', async ({ app: page, context, tenant }) => {
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Is my parcel lost?', 'Aiko Tanaka');
  await row(page, /Aiko Tanaka/).click();
  await expect(thread(page).getByText('Is my parcel lost?')).toBeVisible();
  const keys = watchSends(page);

  await context.setOffline(true);
  await composer(page).fill('Let me check with the courier');
  await composer(page).press('Enter');
  await composer(page).fill('I will write back within the hour');
  await composer(page).press('Enter');
  const first = outgoing(page, 'Let me check with the courier');
  const second = outgoing(page, 'I will write back within the hour');
  for (const bubble of [first, second]) {
    await expect(bubble).toHaveAttribute('data-waiting', 'true');
    await expect(bubble).toHaveAttribute('data-status', 'sending');
    await expect(bubble.getByRole('img', { name: 'Sending' }).first()).toBeVisible();
    await expect(bubble).toContainText('Waiting for network');
  }
  // Quiet: no failure, no error toast.
  await expect(page.getByRole('alert').locator('.toast')).toHaveCount(0);
  await expect(thread(page).locator('.msg.out[data-status="failed"]')).toHaveCount(0);
  await page.screenshot({ path: '/tmp/chatux-queued.png' });

  await context.setOffline(false);
  for (const bubble of [first, second]) {
    await expect(bubble).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 15_000 });
    await expect(bubble).not.toContainText('Waiting for network');
  }
  await expect(thread(page).locator('.msg.out .text')).toHaveText([
    'Let me check with the courier',
    'I will write back within the hour',
  ]);
  // Each went to WhatsApp once, in the order written, each under its own key.
  const out = (await stored(page)).filter((m) => m.content !== 'Is my parcel lost?');
  expect(out.map((m) => m.content)).toEqual(['I will write back within the hour', 'Let me check with the courier']);
  for (const m of out) expect(m.providerMessageId).toMatch(/^wamid\.sandbox\./);
  expect(keys).toHaveLength(2);
  expect(new Set(keys).size).toBe(2);
  await expect(page.getByRole('alert').locator('.toast')).toHaveCount(0);
});

test('a send whose answer was lost goes out again under the same client key and is not doubled', async ({ app: page, tenant }) => {
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Did you ship it?', 'Bruno Costa');
  await row(page, /Bruno Costa/).click();
  await expect(thread(page).getByText('Did you ship it?')).toBeVisible();
  // The first send reaches the server, but the connection drops before the
  // answer comes back.
  const keys: string[] = [];
  const statuses: number[] = [];
  await page.route('**/api/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().postDataJSON().clientKey);
    const res = await route.fetch();
    statuses.push(res.status());
    if (keys.length === 1) await route.abort('connectionreset');
    else await route.fulfill({ response: res });
  });
  await composer(page).fill('It shipped this morning');
  await composer(page).press('Enter');
  const bubble = outgoing(page, 'It shipped this morning');
  await expect(bubble).toContainText('Waiting for network');
  await expect(bubble).not.toHaveAttribute('data-status', 'failed');

  // Resent by itself; the server answers that it has it already.
  await expect(bubble).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 15_000 });
  await expect(bubble).not.toContainText('Waiting for network');
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
  expect(statuses[0]).toBeLessThan(300);
  expect(statuses[1]).toBe(409);
  await expect(page.getByRole('alert').locator('.toast')).toHaveCount(0);
  await expect(outgoing(page, 'It shipped this morning')).toHaveCount(1);
  const copies = (await stored(page)).filter((m) => m.content === 'It shipped this morning');
  expect(copies).toHaveLength(1);
  expect(copies[0].providerMessageId).toMatch(/^wamid\.sandbox\./);
});
