import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './error.js';
import { defaultConfigPath, loadConfig, loadConfigSync, resolveConfig, resolveConfigSync } from './load.js';
import { defaultConfig } from './schema.js';

describe('lookup order', () => {
  let dir: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'claude-auth-config-'));
    home = join(dir, 'home');
    mkdirSync(home);
    env = { CLAUDE_AUTH_HOME: home };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (path: string, port: number) => writeFileSync(path, `[gateway]\nport = ${port}\n`);

  it('uses the defaults when there is no file', async () => {
    expect(resolveConfigSync(undefined, { env })).toEqual({ path: null, config: defaultConfig() });
    expect(await resolveConfig(undefined, { env })).toEqual({ path: null, config: defaultConfig() });
    expect(defaultConfigPath(env)).toBe(join(home, 'config.toml'));
  });

  it('uses $CLAUDE_AUTH_HOME/config.toml when it exists', async () => {
    write(join(home, 'config.toml'), 1111);
    expect(resolveConfigSync(undefined, { env }).path).toBe(join(home, 'config.toml'));
    expect(loadConfigSync(undefined, { env }).gateway.port).toBe(1111);
    expect((await loadConfig(undefined, { env })).gateway.port).toBe(1111);
  });

  it('prefers an explicit path to $CLAUDE_AUTH_HOME/config.toml', async () => {
    write(join(home, 'config.toml'), 1111);
    const explicit = join(dir, 'other.toml');
    write(explicit, 2222);
    expect(resolveConfigSync(explicit, { env })).toMatchObject({
      path: explicit,
      config: { gateway: { port: 2222 } },
    });
    expect((await loadConfig(explicit, { env })).gateway.port).toBe(2222);
  });

  it('fails for an explicit path that does not exist, naming it and what to do', async () => {
    write(join(home, 'config.toml'), 1111);
    const missing = join(dir, 'missing.toml');
    for (const load of [() => loadConfigSync(missing, { env }), () => loadConfig(missing, { env })]) {
      const e = await Promise.resolve()
        .then(load)
        .catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ConfigError);
      const ce = e as ConfigError;
      expect(ce.code).toBe('config_unreadable');
      expect(ce.file).toBe(missing);
      expect(ce.message).toBe(`${missing}: config file does not exist`);
      expect(ce.hint).toContain(join(home, 'config.toml'));
    }
  });

  it('fails for a home config that is a directory instead of using the defaults', () => {
    mkdirSync(join(home, 'config.toml'));
    expect(() => loadConfigSync(undefined, { env })).toThrow(/is a directory/);
  });

  it.skipIf(process.getuid?.() === 0)('fails for a file it may not read', () => {
    const file = join(home, 'config.toml');
    write(file, 1);
    chmodSync(file, 0o000);
    expect(() => loadConfigSync(undefined, { env })).toThrow(/permission denied/);
  });

  it('reports problems under the path it was given', () => {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, '[performance.cache]\nmax_size = -1\n');
    expect(() => loadConfigSync(file, { env })).toThrow(`${file}: performance.cache.max_size: expected`);
  });
});
