import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { defaultConfig } from './schema.js';
import { leafKeys } from './schema-info.js';

/** docs/config.md is written by hand; these tests keep it in step with the schema. */
const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

const unquote = (cell: string) => cell.trim().replace(/^`|`$/g, '');

/** Rows of the key table as `section.key` → default cell. */
function documentedDefaults(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    const section = cells[0] === undefined ? '' : unquote(cells[0]);
    if (!/^\[[\w.]+\]$/.test(section)) continue;
    rows.set(`${section.slice(1, -1)}.${unquote(cells[1] ?? '')}`, (cells[2] ?? '').trim());
  }
  return rows;
}

function valueAt(path: string): unknown {
  let value: unknown = defaultConfig();
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

describe('docs/config.md', () => {
  const rows = documentedDefaults();

  it('has one row for every key of the schema, and no others', () => {
    expect([...rows.keys()].sort()).toEqual(leafKeys().sort());
  });

  it.each(leafKeys())('documents the default of %s', (key) => {
    const value = valueAt(key);
    expect(rows.get(key)).toBe(value === undefined ? '(unset)' : `\`${JSON.stringify(value)}\``);
  });

  it('has an example that is a valid config', () => {
    const example = /## Example\s+```toml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(parseConfig(example ?? '', 'docs/config.md').auth.provider).toBe('oauth2');
  });
});
