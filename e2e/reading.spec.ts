// Issue 17 "Reading messages": a message reads as in WhatsApp Web. Links
// open in a new tab, WhatsApp's formatting shows, HTML in a message is only
// text, and a right-to-left message lays out right to left.
import { test, expect, row, inbound, freshPhone } from './fixtures';

const thread = (page) => page.getByRole('main').getByRole('log');

test('links and formatting show in the bubble; HTML in a message stays text', async ({ app: page, tenant }) => {
  // An alert from the message would be a script run from its text.
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const phone = freshPhone();
  await inbound(
    page.request,
    tenant,
    phone.digits,
    'Track it at https://example.com/track?id=42. *Arrives today* _before noon_, see www.example.org <img src=x onerror=alert(1)>',
    'Sofia Rossi',
  );
  await row(page, /Sofia Rossi/).click();
  const bubble = thread(page).locator('.msg.in').last();
  const text = bubble.locator('.text');
  // What a person reads: the text without the formatting's markers.
  await expect(text).toHaveText(
    'Track it at https://example.com/track?id=42. Arrives today before noon, see www.example.org <img src=x onerror=alert(1)>',
  );

  // The full stop after the link is not part of it.
  const link = text.getByRole('link', { name: 'https://example.com/track?id=42', exact: true });
  await expect(link).toHaveAttribute('href', 'https://example.com/track?id=42');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  const www = text.getByRole('link', { name: 'www.example.org', exact: true });
  await expect(www).toHaveAttribute('href', 'https://www.example.org');
  await expect(www).toHaveAttribute('target', '_blank');
  await expect(www).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(text.getByRole('link')).toHaveCount(2);

  await expect(text.locator('strong')).toHaveText('Arrives today');
  await expect(text.locator('em')).toHaveText('before noon');

  // The tag is shown as typed, and no element came of it.
  await expect(text).toContainText('<img src=x onerror=alert(1)>');
  await expect(bubble.locator('img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('formatted-message.png') });
});

test('an Arabic message lays out right to left, in the bubble and in the list', async ({ app: page, tenant }) => {
  const phone = freshPhone();
  const arabic = 'مرحبا، هل وصل طلبي؟';
  await inbound(page.request, tenant, phone.digits, arabic, 'Layla Haddad');
  const r = row(page, /Layla Haddad/);
  const preview = r.locator('.preview .txt');
  await expect(preview).toHaveText(arabic);
  await expect(preview).toHaveAttribute('dir', 'auto');
  expect(await preview.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');

  await r.click();
  const text = thread(page).locator('.msg.in .text').last();
  await expect(text).toHaveText(arabic);
  await expect(text).toHaveAttribute('dir', 'auto');
  expect(await text.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');

  // The direction follows each message's own text: the next one is English.
  await inbound(page.request, tenant, phone.digits, 'Thank you!', 'Layla Haddad');
  const next = thread(page).locator('.msg.in .text').last();
  await expect(next).toHaveText('Thank you!', { timeout: 15_000 });
  await expect(next).toHaveAttribute('dir', 'auto');
  expect(await next.evaluate((el) => getComputedStyle(el).direction)).toBe('ltr');
  await page.screenshot({ path: test.info().outputPath('right-to-left.png') });
});
