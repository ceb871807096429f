import type { Command } from 'commander';
import { issueAgentKey, keyState, revokeAgentKeys } from '../../agents/agentKeys.js';
import { parseDuration } from '../../agents/duration.js';
import type { StateStore, VirtualKeyRecord } from '../../state/types.js';
import { action, printJson } from '../action.js';
import { cliContext, withConfigOption } from '../context.js';

interface AddOptions {
  config?: string;
  expiresIn?: string;
  replace?: boolean;
  json?: boolean;
}

interface ListOptions {
  config?: string;
  json?: boolean;
}

interface RevokeOptions {
  config?: string;
  keyId?: string;
  json?: boolean;
}

/** `claude-auth agent add|list|revoke`: virtual keys that agents present to the gateway. */
export function registerAgent(program: Command): void {
  const agent = program
    .command('agent')
    .description('manage virtual agent keys: each agent gets its own revocable key for the gateway');

  withConfigOption(
    agent
      .command('add <name>')
      .description(
        'create a key for agent NAME and print it once (the key on stdout, the explanation on stderr); an agent may hold several keys',
      )
      .option(
        '--expires-in <duration>',
        'the key stops working after this long, e.g. 12h, 30d, 1d12h (default: never)',
      )
      .option('--replace', "revoke the agent's other keys in the same step")
      .option(
        '--json',
        'print {"agent","key","key_id","created_at","expires_at","replaced"} as one line of JSON',
      ),
  ).action(
    action(async (name: string, opts: AddOptions) => {
      const expiresInMs = opts.expiresIn === undefined ? undefined : parseDuration(opts.expiresIn);
      const issued = await withState(opts, (store) =>
        issueAgentKey(store, name, { expiresInMs, replace: opts.replace === true }),
      );
      if (opts.json) {
        printJson({
          agent: issued.agent,
          key: issued.key,
          key_id: issued.keyId,
          created_at: iso(issued.createdAt),
          expires_at: iso(issued.expiresAt),
          replaced: issued.replaced,
        });
        return 0;
      }
      const expiry = issued.expiresAt === null ? 'never expires' : `expires ${iso(issued.expiresAt)}`;
      const lines = [`Created key ${issued.keyId} for agent "${issued.agent}"; it ${expiry}.`];
      if (issued.replaced.length > 0)
        lines.push(`Revoked its previous key(s): ${issued.replaced.join(', ')}.`);
      lines.push(
        'This is the only time the key is shown: give it to the agent as its API key for the gateway.',
        'Revoke it with `claude-auth agent revoke NAME --key-id ID`.',
      );
      process.stderr.write(`${lines.join('\n')}\n`);
      process.stdout.write(`${issued.key}\n`);
      return 0;
    }),
  );

  withConfigOption(
    agent
      .command('list')
      .description(
        'list agents and their keys (id, state, created, expires, revoked, last seen); never a key',
      )
      .option('--json', 'print {"keys":[{"agent","key_id","state","created_at",…}]} as one line of JSON'),
  ).action(
    action(async (opts: ListOptions) => {
      const keys = await withState(opts, (store) => store.listKeys());
      const now = Date.now();
      const rows = keys.map((k) => row(k, now));
      if (opts.json) {
        printJson({ keys: rows });
      } else if (rows.length === 0) {
        process.stdout.write('No agent keys yet. Create one with `claude-auth agent add NAME`.\n');
      } else {
        process.stdout.write(table(rows));
      }
      return 0;
    }),
  );

  withConfigOption(
    agent
      .command('revoke <name>')
      .description(
        "revoke all of agent NAME's keys (or one, --key-id); running gateways refuse them within a second",
      )
      .option('--key-id <id>', 'revoke only this key (see `agent list`)')
      .option('--json', 'print {"agent","revoked":[key ids],"revoked_at"} as one line of JSON'),
  ).action(
    action(async (name: string, opts: RevokeOptions) => {
      const result = await withState(opts, (store) => revokeAgentKeys(store, name, { keyId: opts.keyId }));
      if (opts.json) {
        printJson({ agent: result.agent, revoked: result.revoked, revoked_at: iso(result.revokedAt) });
      } else if (result.revoked.length === 0) {
        process.stdout.write(
          `Agent "${result.agent}" has no active key${opts.keyId ? ` ${opts.keyId}` : 's'}; nothing to revoke.\n`,
        );
      } else {
        process.stdout.write(
          `Revoked ${result.revoked.length} key(s) of agent "${result.agent}": ${result.revoked.join(', ')}.\n`,
        );
      }
      return 0;
    }),
  );
}

/** Opens the state store, runs `fn`, and closes the store whatever happens. */
async function withState<T>(opts: { config?: string }, fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await cliContext(opts).state();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

interface KeyRow {
  agent: string;
  key_id: string;
  state: string;
  created_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_seen_at: string | null;
}

function row(k: VirtualKeyRecord, now: number): KeyRow {
  return {
    agent: k.agent,
    key_id: k.keyId,
    state: keyState(k, now),
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    revoked_at: iso(k.revokedAt),
    last_seen_at: iso(k.lastSeenAt),
  };
}

const COLUMNS: readonly [keyof KeyRow, string][] = [
  ['agent', 'AGENT'],
  ['key_id', 'KEY ID'],
  ['state', 'STATE'],
  ['created_at', 'CREATED'],
  ['expires_at', 'EXPIRES'],
  ['revoked_at', 'REVOKED'],
  ['last_seen_at', 'LAST SEEN'],
];

function table(rows: KeyRow[]): string {
  const cells = rows.map((r) => COLUMNS.map(([k]) => cell(r, k)));
  const header = COLUMNS.map(([, title]) => title);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `${c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + cells.map(line).join('');
}

/** Times to the second (`2026-12-01 10:00:00Z`); a missing expiry reads "never". */
function cell(r: KeyRow, column: keyof KeyRow): string {
  const value = r[column];
  if (value === null) return column === 'expires_at' ? 'never' : '-';
  return column.endsWith('_at') ? `${value.slice(0, 19).replace('T', ' ')}Z` : value;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
