// Starts one `inbox serve` for the run: a fresh database (migrated, with the
// demo company seeded), the sandbox provider, the release build of the app.
// Tests find it through INBOX_URL; teardown stops it and drops the database.
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function waitReady(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`inbox serve exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('inbox serve did not become ready in 60 s');
}

export default async function globalSetup() {
  const bin = process.env.INBOX_BIN ?? resolve(root, 'target/debug/inbox');
  const web = process.env.INBOX_WEB_DIR ?? resolve(root, 'frontend/dist');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build it (make e2e does)`);
  if (!existsSync(resolve(web, 'index.html'))) throw new Error(`${web} has no index.html: run make web`);
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const dbName = `inbox_e2e_${process.pid}_${Date.now()}`;
  const dbUrl = new URL(server.toString());
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    INBOX_BIND: `127.0.0.1:${port}`,
    INBOX_WEB_DIR: web,
    INBOX_LOG: process.env.INBOX_LOG ?? 'warn',
    // Tests send far more than a person would, and sign in once per test.
    INBOX_SENDS_PER_MINUTE: '100000',
    INBOX_LOGIN_ATTEMPTS_PER_MINUTE: '100000',
    // Event streams end (and browsers resume them) every few seconds, so
    // tests can cut the connection in between.
    INBOX_SSE_MAX_AGE_SECS: '4',
  };
  execFileSync(bin, ['migrate'], { env, stdio: 'inherit' });
  execFileSync(bin, ['seed-demo'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  await waitReady(url, child);
  process.env.INBOX_URL = url;
  process.env.INBOX_BIN = bin;
  process.env.INBOX_TEST_DATABASE_URL = dbUrl.toString();

  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    try {
      execFileSync('psql', [server.toString(), '-qc', `DROP DATABASE IF EXISTS "${dbName}"`], { stdio: 'ignore' });
    } catch {
      // No psql: the database stays (a throwaway cluster is deleted anyway).
    }
  };
}
