import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory and CPU time of a process and all its descendants, read from /proc (Linux). */
export interface ProcessTreeSample {
  /** The root and every live descendant. */
  pids: number[];
  /** Sum of VmRSS over the tree, in bytes. */
  rssBytes: number;
  /** Sum of user + system CPU time over the tree, in ms (clock ticks at 100 Hz). */
  cpuMs: number;
}

const CLK_TCK = 100;

/** ppid and cpu ticks from /proc/PID/stat; the command name may contain spaces and parentheses. */
function readStat(pid: number): { ppid: number; cpuTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  const ppid = Number(fields[1]);
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { ppid, cpuTicks };
}

function readRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples `rootPid` and its descendants. Returns null when the root is gone or /proc is not
 * available (not Linux): callers show "not sampled" rather than a made-up figure.
 */
export function sampleProcessTree(rootPid: number): ProcessTreeSample | null {
  const root = readStat(rootPid);
  if (root === null) return null;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>([[rootPid, root.cpuTicks]]);
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === rootPid) continue;
    const stat = readStat(pid);
    if (stat === null) continue;
    ticks.set(pid, stat.cpuTicks);
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const pids: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    pids.push(pid);
    for (const c of children.get(pid) ?? []) queue.push(c);
  }
  let rssBytes = 0;
  let cpuTicks = 0;
  for (const pid of pids) {
    rssBytes += readRssBytes(pid);
    cpuTicks += ticks.get(pid) ?? 0;
  }
  return { pids, rssBytes, cpuMs: (cpuTicks * 1000) / CLK_TCK };
}
