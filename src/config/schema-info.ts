import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * What error messages and the docs test need to know about the schema, read from zod's JSON Schema
 * export (a public API) rather than from zod internals.
 */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  default?: unknown;
}

let cached: SchemaNode | undefined;

/** The config schema as JSON Schema, computed once. */
export function configJsonSchema(): SchemaNode {
  cached ??= z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as SchemaNode;
  return cached;
}

/** The schema node at a key path, or undefined when the path is not a key of the schema. */
export function nodeAt(path: readonly PropertyKey[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = configJsonSchema();
  for (const key of path) {
    if (typeof key !== 'string') return undefined;
    node = node?.properties && Object.hasOwn(node.properties, key) ? node.properties[key] : undefined;
  }
  return node;
}

/** Every key that holds a value (not a table), as dotted paths in schema order. */
export function leafKeys(node: SchemaNode = configJsonSchema(), prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.type === 'object') out.push(...leafKeys(child, path));
    else out.push(path);
  }
  return out;
}

/** Every table and key of the schema, as dotted paths. */
export function allKeys(node: SchemaNode = configJsonSchema(), prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    if (child.type === 'object') out.push(...allKeys(child, path));
  }
  return out;
}

function rangeOf(node: SchemaNode): string {
  const lo = node.exclusiveMinimum ?? node.minimum;
  // zod marks every int with the safe-integer bound; that is not a limit worth telling anyone.
  const max = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  const hi = node.exclusiveMaximum ?? max;
  if (lo !== undefined && hi !== undefined && node.minimum !== undefined && max !== undefined) {
    return ` from ${lo} to ${hi}`;
  }
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`${node.exclusiveMinimum === undefined ? '>=' : '>'} ${lo}`);
  if (hi !== undefined) parts.push(`${node.exclusiveMaximum === undefined ? '<=' : '<'} ${hi}`);
  return parts.length === 0 ? '' : ` ${parts.join(' and ')}`;
}

/** What a key accepts, in words: `an integer > 0`, `boolean`, `one of "a", "b"`, `a table`. */
export function describeExpected(node: SchemaNode): string {
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (node.type) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return node.minLength ? 'a non-empty string' : 'string';
    case 'integer':
      return `an integer${rangeOf(node)}`;
    case 'number':
      return `a number${rangeOf(node)}`;
    case 'object':
      return 'a table';
    default:
      return 'a valid value';
  }
}
