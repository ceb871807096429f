import type { z } from 'zod';
import type { ConfigProblem } from './error.js';
import { isSecretKey, looksLikeSecret, maskSecret } from './mask.js';
import { allKeys, describeExpected, nodeAt, type SchemaNode } from './schema-info.js';
import { closestKey } from './suggest.js';

/**
 * Turns zod issues into problems a person can act on: `expected an integer > 0, got -1`,
 * `unknown key; did you mean "ttl_minutes"?`. Values are read from the parsed file, so the message
 * shows what the user wrote; secrets are never shown.
 */

const MAX_SHOWN = 60;

function joinKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return { found: false };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
}

function tomlType(value: unknown): string {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string' || typeof value === 'boolean') return typeof value;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date-time';
  if (value !== null && typeof value === 'object') return 'table';
  return 'nothing';
}

function literal(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'string') {
    if (looksLikeSecret(value)) return JSON.stringify(maskSecret(value));
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * A value as an error message shows it: bare when its type is the expected one (`-1`), else with
 * its type (`string "yes"`). Tables and arrays by type only; secrets by type only.
 */
export function renderValue(value: unknown, expected: SchemaNode | undefined, secret = false): string {
  const type = tomlType(value);
  if (type === 'table') return 'a table';
  if (type === 'array') return 'an array';
  if (type === 'nothing') return 'nothing';
  if (secret) return `a ${type} (value hidden: secret)`;
  const expectedType = expected?.type === 'integer' ? 'number' : expected?.type;
  return type === expectedType ? literal(value) : `${type} ${literal(value)}`;
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  const siblings = Object.keys(nodeAt(parent)?.properties ?? {});
  const near = closestKey(key, siblings);
  if (near !== undefined) return `unknown key; did you mean "${near}"?`;
  // A right key in the wrong table: `ttl_minutes` under [performance] instead of [performance.cache].
  const prefix = joinKey(parent);
  const elsewhere = allKeys().filter((k) => k.slice(0, Math.max(0, k.lastIndexOf('.'))) !== prefix);
  const lastSegments = elsewhere.map((k) => k.slice(k.lastIndexOf('.') + 1));
  const moved = closestKey(key, lastSegments);
  if (moved !== undefined) return `unknown key; did you mean "${elsewhere[lastSegments.indexOf(moved)]}"?`;
  const where = prefix === '' ? 'at the top level' : `in [${prefix}]`;
  return `unknown key; valid keys ${where} are ${siblings.join(', ')}`;
}

type Issue = z.core.$ZodIssue;

function issueProblem(issue: Issue, input: unknown): ConfigProblem {
  const key = joinKey(issue.path);
  const node = nodeAt(issue.path);
  let expected: string;
  switch (issue.code) {
    case 'invalid_type':
    case 'too_small':
    case 'too_big':
    case 'invalid_value':
    case 'not_multiple_of':
      expected = node ? `expected ${describeExpected(node)}` : issue.message;
      break;
    default:
      expected = issue.message;
  }
  const raw = valueAt(input, issue.path);
  const secret = isSecretKey(key);
  // A value the user did not write (a default that breaks a cross-field rule) is labelled as such.
  let got: string | undefined;
  if (raw.found) got = renderValue(raw.value, node, secret);
  else if (issue.input !== undefined) got = `${renderValue(issue.input, node, secret)} (the default)`;
  let message = got === undefined ? expected : `${expected}, got ${got}`;
  if (issue.code === 'invalid_value' && typeof raw.value === 'string' && !secret) {
    const near = closestKey(raw.value, issue.values.map(String));
    if (near !== undefined) message += `; did you mean "${near}"?`;
  }
  return { key: key === '' ? null : key, message };
}

/** Every problem in a failed parse of `input`, one per issue and one per unknown key. */
export function problemsFromIssues(issues: readonly Issue[], input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ key: joinKey([...issue.path, key]), message: unknownKeyMessage(issue.path, key) });
      }
    } else {
      problems.push(issueProblem(issue, input));
    }
  }
  return problems;
}
