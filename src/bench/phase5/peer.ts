import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerCall, PeerMessage, PeerReturns } from './peerProtocol.js';

/** Distributes `Omit` over a union, so each call keeps its own fields. */
type CallBody<C> = C extends { id: number } ? Omit<C, 'id'> : never;

/** The peer process (simulated upstream and agents' load generator), seen from the gateway's side. */
export interface Peer {
  /** Makes one call; `progress` hears the fraction done of a load job. */
  call<C extends CallBody<PeerCall>>(
    call: C,
    progress?: (fraction: number) => void,
  ): Promise<PeerReturns[C['op']]>;
  /** Ends the process (its simulator closes first). */
  close(): Promise<void>;
}

// From the TypeScript sources (tests) the child needs tsx; from dist it is plain JavaScript.
const fromSource = import.meta.url.endsWith('.ts');
const childFile = fileURLToPath(new URL(`./peerProcess${fromSource ? '.ts' : '.js'}`, import.meta.url));

/** Forks the peer process and waits until it is ready. */
export async function startPeer(): Promise<Peer> {
  const child: ChildProcess = fork(childFile, [], {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exited = false;
  void exit.then(() => (exited = true));
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the benchmark peer process exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', () => {
      child.off('exit', onExit);
      resolve();
    });
  });
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (f: number) => void }
  >();
  child.on('message', (m: PeerMessage) => {
    if (m.type === 'ready') return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    if (m.type === 'progress') p.progress?.(m.fraction);
    else {
      pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(new Error(m.message));
    }
  });
  void exit.then(() => {
    for (const p of pending.values()) p.reject(new Error('the benchmark peer process exited'));
    pending.clear();
  });
  let nextId = 0;
  return {
    call(call, progress) {
      if (exited) return Promise.reject(new Error('the benchmark peer process has exited'));
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, {
          resolve: resolve as (v: unknown) => void,
          reject,
          ...(progress ? { progress } : {}),
        });
        child.send({ ...call, id });
      });
    },
    async close() {
      if (exited) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
}
