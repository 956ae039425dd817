import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockBusyError } from '../core/errors.ts';
import { isProcessAlive } from '../core/process.ts';

export interface LockInfo {
  runId: string;
  pid: number;
  host: string;
  cluster: string;
  suite: string;
  startedAt: string;
}

export interface HeldLock {
  path: string;
  /** Set when a lock left by a dead process was found and replaced. */
  staleReplaced: LockInfo | undefined;
  release(): void;
}

export function lockPath(home: string, cluster: string): string {
  return join(home, 'locks', `${cluster.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
}

export function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * Takes the per-cluster run lock (a file outside the cluster, since a rebuild destroys the
 * cluster). A lock whose process is gone on this host is stale: it is replaced and reported.
 */
export function acquireLock(home: string, info: LockInfo): HeldLock {
  const path = lockPath(home, info.cluster);
  mkdirSync(join(home, 'locks'), { recursive: true });
  let staleReplaced: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      return {
        path,
        staleReplaced,
        release: () => {
          if (readLock(path)?.runId === info.runId) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(path);
      if (holder && (holder.host !== hostname() || isProcessAlive(holder.pid))) {
        throw new LockBusyError(
          `cluster "${info.cluster}" is busy: run ${holder.runId} (${holder.suite}, pid ${holder.pid} on ${holder.host}, ` +
            `since ${holder.startedAt}) holds ${path}. Wait for it, or remove the file if that run is really gone.`,
        );
      }
      staleReplaced = holder;
      rmSync(path, { force: true });
    }
  }
  throw new LockBusyError(`could not take the run lock ${path}: another process keeps creating it`);
}
