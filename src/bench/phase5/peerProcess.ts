import { type Simulator, startSimulator } from '../../simulator/index.js';
import { runLoadJob } from './loadJobs.js';
import type { PeerCall, PeerMessage } from './peerProtocol.js';

/**
 * The peer process of the Phase 5 benchmark: the simulated upstream and the agents' load
 * generator. Answers its parent's calls over the IPC channel and exits when the channel closes.
 */

let sim: Simulator | null = null;

function send(message: PeerMessage): void {
  process.send?.(message);
}

function simulator(): Simulator {
  if (sim === null) throw new Error('the simulator is not started');
  return sim;
}

async function answer(call: PeerCall): Promise<unknown> {
  switch (call.op) {
    case 'sim.start':
      sim ??= await startSimulator({ accessTokenTtlSeconds: 3600 });
      return { url: sim.url, tokenUrl: sim.tokenUrl, authorizeUrl: sim.authorizeUrl };
    case 'sim.issueTokens':
      return simulator().issueTokens({ clientId: call.clientId });
    case 'sim.stats':
      return simulator().stats();
    case 'load': {
      let last = 0;
      return runLoadJob(call.job, (fraction) => {
        if (fraction - last >= 0.02) {
          last = fraction;
          send({ type: 'progress', id: call.id, fraction });
        }
      });
    }
  }
}

process.on('message', (call: PeerCall) => {
  answer(call).then(
    (value) => send({ type: 'result', id: call.id, value }),
    (e: unknown) =>
      send({ type: 'failed', id: call.id, message: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => {
  void (sim?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
send({ type: 'ready' });
