// Plan 10.3 "Filter & Search", the archived view, and paging the list.
import { test, expect, row, inbound, api, freshPhone, signIn, baseUrl, pageSettled } from './fixtures';

async function threeChats(page, tenant) {
  const [a, b, c] = [freshPhone(), freshPhone(), freshPhone()];
  await inbound(page.request, tenant, a.digits, 'Unread question', 'Amara Okafor');
  await inbound(page.request, tenant, b.digits, 'Thanks!', 'Bruno Costa');
  await inbound(page.request, tenant, c.digits, 'See you', 'Carla Mendes');
  return { a, b, c };
}

test('filter chips change the list; each filter has its own empty state', async ({ app: page, tenant }) => {
  await threeChats(page, tenant);
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);
  // Bruno read and starred, Carla read: only Amara stays unread.
  for (const name of ['Bruno Costa', 'Carla Mendes']) {
    await row(page, new RegExp(name)).click();
    await expect(row(page, name).locator('.badge')).toHaveCount(0);
  }
  await row(page, /Bruno Costa/).click();
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Add to favorites' }).click();
  await expect(row(page, /Bruno Costa/).getByTitle('Favorite')).toBeVisible();

  const chips = page.getByRole('group', { name: 'Filter chats' });
  await chips.getByRole('button', { name: 'Unread' }).click();
  await expect(chips.getByRole('button', { name: 'Unread' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Amara Okafor/)).toBeVisible();
  await expect(page).toHaveURL(/filter=unread/);

  await chips.getByRole('button', { name: 'Favorites' }).click();
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Bruno Costa/)).toBeVisible();

  await chips.getByRole('button', { name: 'Groups' }).click();
  await expect(page.getByText('No group chats.')).toBeVisible();

  await chips.getByRole('button', { name: 'All' }).click();
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);
});

test('a list that fails to load says so and offers Retry; so does a chat', async ({ page, tenant }) => {
  const phone = freshPhone();
  await signIn(page, tenant.agent.email);
  await inbound(page.request, tenant, phone.digits, 'Still there?', 'Gia Rossi');
  await page.route('**/api/conversations?**', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'down', code: 'SERVICE_UNAVAILABLE' }) }),
  );
  await page.goto('/');
  await expect(page.getByText('Failed to load conversations.')).toBeVisible();
  await expect(page.getByText('The server is unavailable. Try again in a moment.')).toBeVisible();
  await page.unroute('**/api/conversations?**');
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(row(page, /Gia Rossi/)).toBeVisible();

  await page.route('**/api/conversations/*/messages?**', (route) => route.abort('connectionreset'));
  await row(page, /Gia Rossi/).click();
  await expect(page.getByText('Failed to load messages.')).toBeVisible();
  await page.unroute('**/api/conversations/*/messages?**');
  await page.getByRole('main').getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('main').getByRole('log').getByText('Still there?')).toBeVisible();
});

test('search asks the server after typing, Esc and the X clear it, and it combines with a filter', async ({ app: page, tenant }) => {
  const { a } = await threeChats(page, tenant);
  await row(page, /Carla Mendes/).click();
  const search = page.getByRole('searchbox', { name: 'Search chats' });
  const requests: string[] = [];
  page.on('request', (r) => r.url().includes('search=') && requests.push(r.url()));
  await search.pressSequentially('bru', { delay: 40 });
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Bruno Costa/)).toBeVisible();
  // Debounced: one request for the whole word, not one per key.
  expect(requests.length).toBe(1);

  await search.press('Escape');
  await expect(search).toHaveValue('');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);

  // By number, with the X to clear.
  await search.fill(a.digits.slice(-6));
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Amara Okafor/)).toBeVisible();
  await page.getByRole('button', { name: 'Clear search' }).click();
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);

  // Filter + search: "a" matches all three names, Unread keeps Amara only.
  await page.getByRole('group', { name: 'Filter chats' }).getByRole('button', { name: 'Unread' }).click();
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(2);
  await search.fill('Carla');
  await expect(page.getByText('No chats match “Carla”.')).toBeVisible();
  await search.fill('Amara');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
});

test('search ignores accents and case: "pablo gomez" finds Pablo Gómez', async ({ app: page, tenant }) => {
  await inbound(page.request, tenant, freshPhone().digits, 'Hola, ¿tienen talla M?', 'Pablo Gómez');
  await inbound(page.request, tenant, freshPhone().digits, 'Hi', 'Paula Gomes');
  await expect(row(page, /Pablo Gómez/)).toBeVisible();
  const search = page.getByRole('searchbox', { name: 'Search chats' });
  await search.fill('pablo gomez');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Pablo Gómez/)).toBeVisible();
  await search.fill('GÓMEZ');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await expect(row(page, /Pablo Gómez/)).toBeVisible();
});

test('keyboard: ArrowDown goes from the search box into the results, Enter opens one, Esc closes the chat', async ({ app: page, tenant }) => {
  await threeChats(page, tenant);
  const search = page.getByRole('searchbox', { name: 'Search chats' });
  await search.fill('costa');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  // Enter in the box opens the first result.
  await search.press('Enter');
  await expect(page.getByRole('main', { name: 'Chat with Bruno Costa' })).toBeVisible();
  // Esc closes the open chat (the search box keeps its own Esc: clearing).
  await page.getByRole('main').getByLabel('Type a message').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('main', { name: 'No chat open' })).toBeVisible();
  await search.press('Escape');
  await expect(search).toHaveValue('');
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(3);
  // ArrowDown moves into the list; the arrows walk it and Enter opens.
  await search.focus();
  await search.press('ArrowDown');
  const list = page.getByRole('listbox', { name: 'Chats' });
  await expect(list).toBeFocused();
  // The first row (Carla, the newest) is active; one down is Bruno.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main', { name: 'Chat with Bruno Costa' })).toBeVisible();
});

test('archiving moves the chat into Archived; it comes back when unarchived', async ({ app: page, tenant }) => {
  await threeChats(page, tenant);
  await row(page, /Carla Mendes/).click();
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Archive chat' }).click();
  await expect(page.getByRole('status').getByText('Chat archived')).toBeVisible();
  await expect(row(page, /Carla Mendes/)).toHaveCount(0);
  const archived = page.getByRole('button', { name: /Archived/ });
  await expect(archived).toContainText('1');

  await archived.click();
  await expect(page.getByRole('listbox', { name: 'Archived chats' })).toBeVisible();
  await expect(page).toHaveURL(/archived=1/);
  await expect(row(page, /Carla Mendes/)).toBeVisible();
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Unarchive chat' }).click();
  await expect(page.getByText('No archived chats.')).toBeVisible();
  await page.getByRole('button', { name: 'Back to chats' }).first().click();
  await expect(row(page, /Carla Mendes/)).toBeVisible();
  await expect(page.getByRole('button', { name: /Archived/ })).toHaveCount(0);
  // The browser's back button returns to the archived view.
  await page.goBack();
  await expect(page.getByRole('listbox', { name: 'Archived chats' }).or(page.getByText('No archived chats.'))).toBeVisible();
});

test('Undo on the "Chat archived" toast brings the chat back to the list', async ({ app: page, tenant }) => {
  await threeChats(page, tenant);
  await row(page, /Bruno Costa/).click();
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: 'Archive chat' }).click();
  const toast = page.getByRole('status').filter({ hasText: 'Chat archived' });
  await expect(toast).toBeVisible();
  await expect(row(page, /Bruno Costa/)).toHaveCount(0);
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('status').getByText('Chat unarchived')).toBeVisible();
  await expect(row(page, /Bruno Costa/)).toBeVisible();
  await expect(page.getByRole('button', { name: /Archived/ })).toHaveCount(0);
  // The server has it unarchived too.
  await page.reload();
  await expect(row(page, /Bruno Costa/)).toBeVisible();
});

test('the list loads the next page near its end and stops at the last one', async ({ page }) => {
  // The demo company: 59 chats, 4 of them archived: two pages of the list.
  await signIn(page, 'ana@demo.test', 'demo-password');
  await page.goto('/');
  const list = page.getByRole('listbox', { name: 'Chats' });
  await expect(list).toBeVisible();
  const height = () => list.evaluate((el) => parseInt((el as HTMLElement).style.height));
  expect(await height()).toBe(50 * 72);
  // Only the rows in view are in the DOM.
  expect(await list.getByRole('option').count()).toBeLessThan(30);
  const scroller = page.locator('.list');
  for (let i = 0; i < 6; i++) {
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(400);
  }
  // As many rows as the server has, counted through the API.
  let total = 0;
  let cursor = '';
  for (;;) {
    const res = await page.request.get(`${baseUrl()}/api/conversations?limit=100${cursor}`);
    const body = await res.json();
    total += body.conversations.length;
    if (!body.hasMore) break;
    cursor = `&cursor=${encodeURIComponent(body.nextCursor)}`;
  }
  expect(total).toBeGreaterThan(50);
  await expect.poll(height).toBe(total * 72);
  await expect(list.getByRole('option').last()).toBeVisible();
  let requests = 0;
  page.on('request', (r) => r.url().includes('/api/conversations?') && r.url().includes('cursor=') && requests++);
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await pageSettled(page);
  expect(requests).toBe(0);
});
