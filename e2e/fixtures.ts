// What every test needs: the server's address, a company of its own (so
// tests never see each other's chats), and helpers that act as the outside
// world does: an integrator's API call, or WhatsApp posting a webhook.
import { test as base, expect, Page, APIRequestContext } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';

export { expect };

export const PASSWORD = 'e2e-password-1';

export type Tenant = {
  name: string;
  companyId: string;
  agent: { email: string; name: string };
  colleague: { email: string; name: string };
  /** The sandbox channel's webhook id and signing secret. */
  phoneNumberId: string;
  appSecret: string;
};

function inbox(args: string[]): string {
  // A clean environment: INBOX_* variables of the test run are not config.
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: process.env.INBOX_TEST_DATABASE_URL!, INBOX_LOG: 'warn' };
  return execFileSync(process.env.INBOX_BIN!, args, { env, encoding: 'utf8' }).trim();
}

/** An admin's CLI task for the tenant, e.g. `set-number-rule`. */
export function inboxCli(args: string[]): string {
  return inbox(args);
}

let counter = 0;

/** A fresh company with two agents and a default sandbox channel. */
export function createTenant(label: string): Tenant {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  const name = `${label} ${tag}`;
  const companyId = inbox(['create-company', '--name', name]).split(/\s+/).pop()!;
  const agent = { email: `agent-${tag}@e2e.test`, name: 'Ana Agent' };
  const colleague = { email: `colleague-${tag}@e2e.test`, name: 'Ben Colleague' };
  for (const u of [agent, colleague]) {
    inbox(['create-user', '--company', companyId, '--email', u.email, '--name', u.name, '--password', PASSWORD]);
  }
  const phoneNumberId = `e2e-${tag}`;
  const appSecret = `secret-${tag}`;
  inbox([
    'create-channel', '--company', companyId, '--provider', 'sandbox', '--name', 'Sandbox',
    '--phone-number', '+14155238886', '--phone-number-id', phoneNumberId, '--app-secret', appSecret, '--default',
  ]);
  return { name, companyId, agent, colleague, phoneNumberId, appSecret };
}

export function baseUrl(): string {
  return process.env.INBOX_URL!;
}

/** Signs the page's browser context in (the cookie is shared with page.request). */
export async function signIn(page: Page, email: string, password = PASSWORD) {
  const res = await page.request.post(`${baseUrl()}/api/auth/login`, {
    data: { email, password },
    headers: { Origin: baseUrl() },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** Sends as an integrator would (through the signed-in page's cookie). */
export async function apiSend(request: APIRequestContext, phoneNumber: string, messageText: string) {
  const res = await request.post(`${baseUrl()}/api/messages`, {
    data: { phoneNumber, messageText },
    headers: { Origin: baseUrl() },
  });
  return { status: res.status(), body: await res.json() };
}

export async function api(request: APIRequestContext, method: 'POST' | 'PUT' | 'DELETE', path: string, data?: unknown) {
  const res = await request.fetch(`${baseUrl()}${path}`, { method, data, headers: { Origin: baseUrl() } });
  expect(res.ok(), await res.text()).toBeTruthy();
}

/** WhatsApp delivering a callback's `value` (contacts, messages, ...) to our webhook, signed as Meta signs. */
export async function metaCallback(request: APIRequestContext, tenant: Tenant, value: Record<string, unknown>) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{
      id: 'WABA',
      changes: [{
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550000001', phone_number_id: tenant.phoneNumberId },
          ...value,
        },
      }],
    }],
  });
  const signature = 'sha256=' + createHmac('sha256', tenant.appSecret).update(body).digest('hex');
  const res = await request.post(`${baseUrl()}/api/whatsapp/webhook`, {
    data: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** WhatsApp delivering a customer's message to our webhook, signed as Meta signs. */
export async function inbound(request: APIRequestContext, tenant: Tenant, fromDigits: string, text: string, profileName = 'Customer') {
  await metaCallback(request, tenant, {
    contacts: [{ profile: { name: profileName }, wa_id: fromDigits }],
    messages: [{
      from: fromDigits,
      id: `wamid.e2e.${randomUUID()}`,
      timestamp: Math.floor(Date.now() / 1000).toString(),
      type: 'text',
      text: { body: text },
    }],
  });
}

/** A unique, valid US number per call, so tests never share a contact. */
let phoneSeq = 0;
export function freshPhone(): { e164: string; digits: string } {
  phoneSeq += 1;
  // Exchange 234..733 (never starting with 0 or 1, never N11); the line
  // number from the clock, so two runs against one database differ too.
  let exchange = 234 + ((Date.now() + phoneSeq * 7919) % 500);
  if (exchange % 100 === 11) exchange += 1;
  let line = (Date.now() * 31 + phoneSeq * 104729) % 10000;
  // Numbers ending in 0000, 0001 or 0429 mean something to the sandbox.
  if (line <= 1 || line === 429) line += 2;
  const digits = `1415${exchange}${String(line).padStart(4, '0')}`;
  return { e164: `+${digits}`, digits };
}

type Fixtures = { tenant: Tenant; app: Page };

export const test = base.extend<Fixtures>({
  baseURL: async ({}, use) => use(baseUrl()),
  tenant: async ({}, use, info) => use(createTenant(info.title.slice(0, 24))),
  /** The page, signed in as the tenant's agent, with the app loaded. */
  app: async ({ page, tenant }, use) => {
    await signIn(page, tenant.agent.email);
    await page.goto('/');
    await expect(page.getByRole('complementary', { name: 'Chats' })).toBeVisible();
    await use(page);
  },
});

/** The sidebar row of a conversation. */
/**
 * Resolves once every request the page started so far has reached the test:
 * the page's effects settle (two animation frames and a task), then a marker
 * request the page makes itself is seen; request events come in order, so
 * any earlier request has been counted by then. How a test proves that the
 * app did *not* fetch something, without waiting a fixed time.
 */
export async function pageSettled(page: Page) {
  const marker = `/readyz?marker=${Date.now()}-${Math.random()}`;
  const seen = page.waitForRequest((r) => r.url().includes(marker));
  await page.evaluate(async (m) => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    await new Promise((r) => setTimeout(r, 0));
    await fetch(m);
  }, marker);
  await seen;
}

export function row(page: Page, name: string | RegExp) {
  return page.getByRole('listbox').getByRole('option', { name });
}

/** The chat pane. */
export function chat(page: Page) {
  return page.getByRole('main');
}
