import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// `npm test` builds dist first (pretest); run `npm run build` before running this file alone.
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** The first line the child prints on stdout. */
async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout ?? []) {
    out += String(chunk);
    const nl = out.indexOf('\n');
    if (nl !== -1) return out.slice(0, nl);
  }
  throw new Error(`no line on stdout (got ${JSON.stringify(out)})`);
}

describe('claude-auth simulate', () => {
  it('prints its endpoints as JSON, serves the generated key, and exits 0 on SIGTERM', async () => {
    const child = run(['simulate', '--port', '0', '--json']);
    const info = JSON.parse(await firstLine(child)) as {
      url: string;
      token_url: string;
      authorize_url: string;
      api_keys: string[];
    };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.token_url).toBe(`${info.url}/oauth/token`);
    expect(info.authorize_url).toBe(`${info.url}/oauth/authorize`);
    expect(info.api_keys).toHaveLength(1);
    expect(info.api_keys[0]).toMatch(/^sk-ant-api03-sim-[0-9a-f]{32}$/);
    const r = await fetch(`${info.url}/v1/models`, { headers: { 'x-api-key': info.api_keys[0] ?? '' } });
    expect(r.status).toBe(200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('accepts the given keys and fault flags', async () => {
    const child = run(['simulate', '--json', '--api-key', 'k1', 'k2', '--error-rate', '1']);
    const info = JSON.parse(await firstLine(child)) as { url: string; api_keys: string[] };
    expect(info.api_keys).toEqual(['k1', 'k2']);
    const r = await fetch(`${info.url}/v1/models`, { headers: { 'x-api-key': 'k2' } });
    expect(r.status).toBe(500);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    expect((await exited)[0]).toBe(0);
  });

  it('refuses a bad flag with a usage error (exit 2)', async () => {
    const child = run(['simulate', '--overload-rate', 'lots']);
    let err = '';
    child.stderr?.on('data', (c) => {
      err += String(c);
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('--overload-rate');
  });
});
