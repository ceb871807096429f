import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * Follows a chain of symlinks to the file they finally name (which may not exist yet). Writing
 * through the link, rather than renaming over it, keeps a shared symlinked credential file shared.
 */
export function resolveSymlinks(path: string): string {
  let current = path;
  for (let hops = 0; hops < 32; hops++) {
    let isLink = false;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return current;
    }
    if (!isLink) return current;
    const target = readlinkSync(current);
    current = isAbsolute(target) ? target : resolve(dirname(current), target);
  }
  throw new Error(`too many levels of symbolic links at ${path}`);
}

/**
 * Writes `data` to `path` so that a reader sees either the old or the new content, never a mix:
 * a temp file beside the real target (mode 0600), fsync, rename, fsync of the directory.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const target = resolveSymlinks(path);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(temp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // the temp file is gone already
    }
    throw e;
  }
  syncDirectory(dirname(target));
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
