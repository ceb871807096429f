import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStormCase } from '../src/bench/refreshStormCases.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';

// The correctness facts behind `npm run bench:storm`, on small cases (the processes run the built
// CLI and script: `npm test` builds first).
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ accessTokenTtlSeconds: 3600 });
});
afterAll(async () => {
  await sim.close();
});

describe('refresh storm on one expired rotating refresh token', () => {
  it('coordinated: 200 agents in one process cost exactly one grant and all hold the valid token', async () => {
    const r = await runStormCase(sim, { agents: 200, shape: 'in_process', strategy: 'coordinated' });
    expect(r).toMatchObject({ grants: 1, invalidGrant: 0, reuseDetections: 0, agentsWithValidToken: 200 });
    expect(r.distinctTokens).toBe(1);
  });

  it('naive: 20 agents refreshing for themselves trip reuse detection and nobody is left logged in', async () => {
    const r = await runStormCase(sim, { agents: 20, shape: 'in_process', strategy: 'naive' });
    expect(r).toMatchObject({ grants: 1, invalidGrant: 19, reuseDetections: 1, agentsWithValidToken: 0 });
  });

  it('coordinated across processes: 4 `claude-auth print-token` at once, one grant, one valid token', async () => {
    const r = await runStormCase(sim, { agents: 4, shape: 'processes', strategy: 'coordinated' });
    expect(r).toMatchObject({ grants: 1, invalidGrant: 0, reuseDetections: 0, agentsWithValidToken: 4 });
    expect(r.distinctTokens).toBe(1);
  }, 60_000);

  it('naive across processes: 4 processes with the token they hold, one grant, the family revoked', async () => {
    const r = await runStormCase(sim, { agents: 4, shape: 'processes', strategy: 'naive' });
    expect(r).toMatchObject({ grants: 1, invalidGrant: 3, reuseDetections: 1, agentsWithValidToken: 0 });
  }, 60_000);
});
