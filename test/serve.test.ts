import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from './helpers/cli.js';

let home: string;
let children: ChildProcess[];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ca-serve-'));
  children = [];
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

/** Starts `claude-auth serve` and resolves once it printed its banner. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawnCli(['serve', '--port', '0', ...args], { env: { CLAUDE_AUTH_HOME: home, ...env } });
  children.push(child);
  const done = collect(child, { timeoutMs: 60_000 });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop: Ctrl-C')) resolve();
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
  return { child, done, out, url, demoKey: /x-api-key: (sk-ca-[\w-]+)/.exec(out)?.[1] };
}

describe('claude-auth serve', () => {
  it('--simulate: works with no key, through the official SDK (JSON and stream), and drains on SIGTERM', async () => {
    const s = await serve(['--simulate']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.out).toContain('ready');
    const client = new Anthropic({ baseURL: s.url, apiKey: s.demoKey as string, maxRetries: 0 });
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.content[0]?.type).toBe('text');
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    // DNS rebinding: a request addressed to another name is refused
    const { request } = await import('undici');
    const foreign = await request(`${s.url}/api/dashboard`, { headers: { host: 'attacker.example:8787' } });
    expect(foreign.statusCode).toBe(403);
    expect(((await foreign.body.json()) as { error: { type: string } }).error.type).toBe('permission_error');
    const local = await request(`${s.url}/healthz`, {
      headers: { host: `localhost:${new URL(s.url).port}` },
    });
    expect(local.statusCode).toBe(200);
    await local.body.dump();
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    s.child.kill('SIGTERM');
    const r = await s.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('draining requests in flight');
  });

  it('with no credential it still starts, says how to add one, and answers agents with a clear error', async () => {
    const s = await serve([]);
    expect(s.out).toContain('not ready: no Anthropic API key is configured');
    expect(s.out).toContain('claude-auth login --provider api_key --api-key-stdin');
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready' });
    const add = await runCli(['agent', 'add', 'a1', '--json'], { env: { CLAUDE_AUTH_HOME: home } });
    const { key } = JSON.parse(add.stdout) as { key: string };
    // the running gateway picks the new key up from the shared state within about a second
    let r: Response | undefined;
    for (let i = 0; i < 40; i++) {
      r = await fetch(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      if (r.status !== 401 || !(await r.clone().text()).includes('virtual key')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(r?.status).toBe(401);
    const body = (await r?.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('authentication_error');
    expect(body.error.message).toContain('no Anthropic API key is configured');
    s.child.kill('SIGINT');
    expect((await s.done).code).toBe(0);
  });

  it('agent sessions are persisted: a restarted gateway knows its agents', async () => {
    const first = await serve(['--simulate']);
    const client = new Anthropic({ baseURL: first.url, apiKey: first.demoKey as string, maxRetries: 0 });
    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    });
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(0);
    const second = await serve(['--simulate']);
    // the dashboard's agents table takes the session registry once a second
    let reserved: number | undefined;
    for (let i = 0; i < 30 && reserved === undefined; i++) {
      const dash = (await (await fetch(`${second.url}/api/dashboard`)).json()) as {
        details: { agents: { agent: string; reserved_mb: number | null }[] };
      };
      reserved = dash.details.agents.find((a) => a.agent === 'demo')?.reserved_mb ?? undefined;
      if (reserved === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(reserved).toBe(25);
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
  });

  it('refuses a non-loopback bind without an admin token', async () => {
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
      env: { CLAUDE_AUTH_HOME: home },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without an admin token');
    expect(r.stderr).toContain('CLAUDE_AUTH_ADMIN_TOKEN');
  });
});
