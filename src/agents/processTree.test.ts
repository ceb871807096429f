import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sampleProcessTree } from './processTree.js';

describe('sampleProcessTree', () => {
  it('sums the resident memory of a real child and its grandchild that allocate memory', async () => {
    // the child spawns a grandchild; each holds ~40 MB of touched memory
    const hold = 'const b = Buffer.alloc(40 * 1024 * 1024, 1); setInterval(() => b[0]++, 1000);';
    const script = `const { spawn } = require('node:child_process'); spawn(process.execPath, ['-e', ${JSON.stringify(hold)}], { stdio: 'inherit' }); ${hold} console.log('ready');`;
    const child = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    try {
      await new Promise((r) => child.stdout.once('data', r));
      let sample = sampleProcessTree(child.pid as number);
      for (let i = 0; i < 50 && (sample?.pids.length ?? 0) < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        sample = sampleProcessTree(child.pid as number);
      }
      expect(sample?.pids[0]).toBe(child.pid);
      expect(sample?.pids.length).toBe(2);
      // two processes, each with a 40 MB buffer on top of the Node runtime
      expect((sample?.rssBytes ?? 0) / 1024 / 1024).toBeGreaterThan(80);
      expect(sample?.cpuMs).toBeGreaterThanOrEqual(0);
    } finally {
      process.kill(-(child.pid as number), 'SIGKILL'); // the whole group, grandchild included
    }
  });

  it('returns null for a process that does not exist', () => {
    expect(sampleProcessTree(2 ** 22 + 12345)).toBeNull();
  });
});
