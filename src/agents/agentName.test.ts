import { describe, expect, it } from 'vitest';
import { ClaudeAuthError } from '../errors.js';
import { validateAgentName } from './agentName.js';

describe('validateAgentName', () => {
  it.each(['a', 'builder-1', 'Agent_7.test', '9lives', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(validateAgentName(name)).toBe(name);
  });

  it.each(['', '-lead', '.hidden', '_x', 'has space', 'a/b', 'ä', 'x'.repeat(65), 'semi;colon', 'new\nline'])(
    'rejects %j with a usage error that says what is allowed',
    (name) => {
      let error: unknown;
      try {
        validateAgentName(name);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClaudeAuthError);
      expect((error as ClaudeAuthError).code).toBe('usage');
      expect((error as ClaudeAuthError).message).toContain('invalid agent name');
      expect((error as ClaudeAuthError).hint).toMatch(/1 to 64 characters/);
    },
  );
});
