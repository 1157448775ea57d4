// Issue 7: two agents of one company see each other's work live, over the
// event stream (the app does not poll), and a dropped stream catches up.
import { test, expect, row, inbound, freshPhone, signIn, createTenant } from './fixtures';

test("two agents see each other's sends and assignments as they happen", async ({ app: ana, tenant, browser }) => {
  const phone = freshPhone();
  await inbound(ana.request, tenant, phone.digits, 'Is anyone there?', 'Hana Sato');
  const benContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const ben = await benContext.newPage();
  await signIn(ben, tenant.colleague.email);
  await ben.goto('/');
  await row(ben, /Hana Sato/).click();
  await row(ana, /Hana Sato/).click();

  // No polling: after the page settles (1.5 s without a fetch: Ben's own
  // read comes back as an event and refetches once, later on a busy
  // machine), nothing is fetched until a change. The test server ends event
  // streams after 4 s (INBOX_SSE_MAX_AGE_SECS); a stream that had no event
  // yet catches up once when it reconnects, which is not polling: fetches
  // within 1 s of a reconnect are left out.
  const requests: string[] = [];
  let reconnected = 0;
  let last = Date.now();
  ben.on('request', (r) => {
    if (r.url().includes('/api/events')) reconnected = Date.now();
    else if (r.url().includes('/api/') && Date.now() - reconnected > 1000) {
      requests.push(r.url());
      last = Date.now();
    }
  });
  await expect.poll(() => Date.now() - last, { timeout: 15_000 }).toBeGreaterThan(1500);
  requests.length = 0;
  await ben.waitForTimeout(5000);
  expect(requests).toEqual([]);

  // Ana answers; Ben sees the bubble and its ticks without reloading.
  await ana.getByRole('main').getByLabel('Type a message').fill('Yes! Ana here, how can I help?');
  await ana.getByRole('main').getByLabel('Type a message').press('Enter');
  const bubble = ben.getByRole('main').getByRole('log').locator('.msg.out', { hasText: 'Ana here' });
  await expect(bubble).toBeVisible();
  await expect(bubble.getByRole('img', { name: 'Read' })).toBeVisible({ timeout: 15_000 });
  // Ben's row shows the chat's last message, as the server has it: Ana's,
  // or the sandbox's reply to it when that came first (seen in make test).
  const preview = async () => {
    const res = await ben.request.get(`${process.env.INBOX_URL}/api/conversations`);
    const hana = (await res.json()).conversations.find((c) => c.contact.name === 'Hana Sato');
    const shown = (await row(ben, /Hana Sato/).textContent()) ?? '';
    return hana.lastMessagePreview !== 'Is anyone there?' && shown.includes(hana.lastMessagePreview);
  };
  await expect.poll(preview).toBe(true);

  // Ana assigns the chat to Ben; his header says so at once.
  await ana.getByRole('button', { name: /Unassigned/ }).click();
  await ana.getByRole('dialog', { name: 'Assign to user' }).getByRole('button', { name: /Ben Colleague/ }).click();
  await expect(ben.getByRole('button', { name: 'Assigned to Ben Colleague. Change assignee' })).toBeVisible();

  // A customer writes to another chat: both lists get it, with the badge.
  const other = freshPhone();
  await inbound(ana.request, tenant, other.digits, 'New customer here', 'Ivo Petrov');
  await expect(row(ben, /Ivo Petrov, 1 unread/)).toBeVisible();
  await expect(row(ana, /Ivo Petrov, 1 unread/)).toBeVisible();
  // Reordered live: newest first, as the server orders them (a sandbox
  // reply to Ana's message may still put Hana back on top, so compare).
  const order = async () => {
    const res = await ben.request.get(`${process.env.INBOX_URL}/api/conversations`);
    const names = (await res.json()).conversations.map((c) => c.contact.name);
    const shown = await ben.getByRole('listbox').getByRole('option').evaluateAll((rows) =>
      rows.map((r) => (r.getAttribute('aria-label') ?? '').replace(/, \d+ unread$/, '')),
    );
    return JSON.stringify(shown) === JSON.stringify(names) && shown.length === 2;
  };
  await expect.poll(order).toBe(true);

  // Ben deletes Ivo's chat while Ana has it open; it leaves her screen too.
  // (Not Hana's: the sandbox may answer Ana's message, which brings a
  // deleted chat back, as WhatsApp does.)
  // Each waits for Ivo's chat to be open: a reorder between finding a row
  // and clicking it (the sandbox's reply) can put Hana's chat under the
  // click, and Ben would delete hers (seen in make test).
  await row(ana, /Ivo Petrov/).click();
  await expect(ana.getByRole('main', { name: 'Chat with Ivo Petrov' })).toBeVisible();
  await row(ben, /Ivo Petrov/).click();
  await expect(ben.getByRole('main', { name: 'Chat with Ivo Petrov' })).toBeVisible();
  await ben.getByRole('button', { name: 'Chat menu' }).click();
  await ben.getByRole('menuitem', { name: 'Delete chat' }).click();
  await ben.getByRole('dialog').getByRole('button', { name: 'Delete chat' }).click();
  await expect(row(ana, /Ivo Petrov/)).toHaveCount(0);
  await expect(ana.getByRole('status').getByText('This chat was deleted.')).toBeVisible();
  await expect(ana.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await benContext.close();
});

test('a dropped connection shows a reconnecting banner and catches up afterwards', async ({ app: page, tenant }) => {
  const phone = freshPhone();
  await inbound(page.request, tenant, phone.digits, 'Before the outage', 'Jonas Berg');
  await expect(row(page, /Jonas Berg/)).toContainText('Before the outage');
  // The network to the event stream goes down; the stream ends within 4 s
  // (the test server's maximum age) and cannot come back.
  await page.route('**/api/events**', (route) => route.abort('internetdisconnected'));
  const banner = page.getByRole('status').filter({ hasText: 'Reconnecting…' });
  await expect(banner).toBeVisible({ timeout: 15_000 });
  // Meanwhile a customer writes.
  await inbound(page.request, tenant, phone.digits, 'During the outage', 'Jonas Berg');
  await page.unroute('**/api/events**');
  await expect(banner).toBeHidden({ timeout: 20_000 });
  // Resumed from its last event: the message that came meanwhile shows.
  await expect(row(page, /Jonas Berg/)).toContainText('During the outage');
  await expect(row(page, /Jonas Berg, 2 unread/)).toBeVisible();
});

test("another company's agent sees none of it, at any time", async ({ app: page, tenant, browser }) => {
  const outsider = createTenant('Outsider');
  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  // Everything the outsider's page ever receives on its event stream, and
  // whether the private text ever reaches its page, from the first moment.
  await other.addInitScript(() => {
    const w = window as unknown as { __frames: string[]; __leaked: boolean };
    w.__frames = [];
    w.__leaked = false;
    const Source = window.EventSource;
    window.EventSource = class extends Source {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        for (const kind of ['message.created', 'message.status', 'conversation.updated', 'conversation.deleted']) {
          this.addEventListener(kind, (e) => w.__frames.push((e as MessageEvent).data));
        }
      }
    };
    new MutationObserver(() => {
      if (document.body?.innerText.includes('Karin Lund')) w.__leaked = true;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await signIn(other, outsider.agent.email);
  await other.goto('/');
  await expect(other.getByText('No conversations. Start a new chat with the + button.')).toBeVisible();
  const before = await other.evaluate(() => (window as unknown as { __frames: string[] }).__frames.length);

  const karin = freshPhone();
  await inbound(page.request, tenant, karin.digits, 'Private to one company', 'Karin Lund');
  await expect(row(page, /Karin Lund/)).toBeVisible();
  // The marker: a message to the outsider's own company, after Karin's.
  // Events reach a stream in commit order, so once the marker shows, Karin's
  // events would have arrived before it, had they been sent to this company.
  await inbound(other.request, outsider, freshPhone().digits, 'Marker for the outsider', 'Mo Marker');
  await expect(row(other, /Mo Marker/)).toBeVisible();

  const { frames, leaked } = await other.evaluate(() => {
    const w = window as unknown as { __frames: string[]; __leaked: boolean };
    return { frames: w.__frames, leaked: w.__leaked };
  });
  expect(frames.length).toBeGreaterThan(before);
  const conversationOfKarin = (
    await (await page.request.get(`${process.env.INBOX_URL}/api/conversations`)).json()
  ).conversations.find((c) => c.contact.name === 'Karin Lund').id;
  for (const frame of frames) {
    expect(frame).not.toContain(conversationOfKarin);
    expect(frame).not.toContain('Private to one company');
  }
  expect(leaked).toBe(false);
  await expect(other.getByText('Karin Lund')).toHaveCount(0);
  await ctx.close();
});
