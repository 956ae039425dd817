import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { sleep } from '../core/abortable.ts';

export interface ProcessSpec {
  name: string;
  bin: string;
  args: string[];
  log: string;
  env?: Record<string, string>;
  cwd?: string;
}

export interface ProcessRecord {
  name: string;
  pid: number;
  bin: string;
  args: string[];
  log: string;
  ports: Record<string, number>;
  startedAt: string;
}

export interface Spawned {
  record: ProcessRecord;
  /** Set when the process exits while this Node process still watches it. */
  exited(): { code: number | null; signal: string | null } | undefined;
}

/**
 * Starts a process in its own process group, detached from this one (it outlives `sandbox up`),
 * stdout and stderr appended to its log file.
 */
export function spawnDetached(spec: ProcessSpec, ports: Record<string, number>): Spawned {
  const fd = openSync(spec.log, 'a');
  writeSync(fd, `\n=== ${new Date().toISOString()} ${spec.bin} ${spec.args.join(' ')}\n`);
  let exit: { code: number | null; signal: string | null } | undefined;
  try {
    const child = spawn(spec.bin, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.bin}`);
    child.on('exit', (code, signal) => (exit = { code, signal }));
    child.on('error', () => (exit ??= { code: -1, signal: null }));
    child.unref();
    return {
      record: {
        name: spec.name,
        pid: child.pid,
        bin: spec.bin,
        args: spec.args,
        log: spec.log,
        ports,
        startedAt: new Date().toISOString(),
      },
      exited: () => exit,
    };
  } finally {
    closeSync(fd);
  }
}

export type ProcState = 'running' | 'zombie' | 'gone';

/** From /proc/<pid>/stat: a zombie holds no memory and no sockets, so it counts as stopped. */
export function procState(pid: number): ProcState {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X' ? 'zombie' : 'running';
}

export function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((s) => s !== '');
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` still is the process we started: its argv[0] is the binary we ran and its arguments
 * name the sandbox directory (guards against a recycled PID belonging to someone else).
 */
export function isOurs(rec: Pick<ProcessRecord, 'pid' | 'bin'>, sandboxDir: string): boolean {
  const argv = cmdline(rec.pid);
  if (!argv || argv.length === 0) return false;
  // Our binaries live in the cache, or (Argo CD's multi-call links) inside the sandbox directory.
  return argv[0] === rec.bin && argv.some((a) => a.includes(sandboxDir));
}

export function alive(rec: Pick<ProcessRecord, 'pid' | 'bin'>, sandboxDir: string): boolean {
  return procState(rec.pid) === 'running' && isOurs(rec, sandboxDir);
}

/** Current and peak resident memory in KiB (VmRSS, VmHWM), or undefined when the process is gone. */
export function memoryKiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rss = field('VmRSS');
    const peak = field('VmHWM');
    if (Number.isNaN(rss)) return undefined;
    return { rss, peak: Number.isNaN(peak) ? rss : peak };
  } catch {
    return undefined;
  }
}

export interface StopOutcome {
  name: string;
  pid: number;
  /** What it took: `not-running` (already gone), `not-ours` (PID reused: left alone), `term`, `kill`. */
  result: 'not-running' | 'not-ours' | 'term' | 'kill';
  ms: number;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // The process leads its own group (spawned detached): signal the group, then the process itself.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; never touches a PID that is no longer ours. */
export async function stopProcess(rec: ProcessRecord, sandboxDir: string, graceMs: number): Promise<StopOutcome> {
  const started = Date.now();
  const done = (result: StopOutcome['result']): StopOutcome => ({
    name: rec.name,
    pid: rec.pid,
    result,
    ms: Date.now() - started,
  });
  if (procState(rec.pid) !== 'running') return done('not-running');
  if (!isOurs(rec, sandboxDir)) return done('not-ours');
  signal(rec.pid, 'SIGTERM');
  while (Date.now() - started < graceMs) {
    if (procState(rec.pid) !== 'running') return done('term');
    await sleep(100);
  }
  if (isOurs(rec, sandboxDir)) signal(rec.pid, 'SIGKILL');
  while (procState(rec.pid) === 'running' && Date.now() - started < graceMs + 5000) await sleep(100);
  return done('kill');
}

/** A listening TCP socket from /proc/net/tcp{,6}. */
export interface Listener {
  address: string;
  port: number;
  inode: number;
}

/** Parses /proc/net/tcp or tcp6 text, returning the sockets in LISTEN state (0A). */
export function parseProcNetTcp(text: string, v6: boolean): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [hexAddr, hexPort] = f[1]!.split(':');
    out.push({
      address: v6 ? decodeV6(hexAddr!) : decodeV4(hexAddr!),
      port: parseInt(hexPort!, 16),
      inode: Number(f[9]),
    });
  }
  return out;
}

function decodeV4(hex: string): string {
  // Little-endian 32-bit word.
  const b = hex.match(/../g)!.map((h) => parseInt(h, 16));
  return [b[3], b[2], b[1], b[0]].join('.');
}

function decodeV6(hex: string): string {
  // Four little-endian 32-bit words.
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex
      .slice(i, i + 8)
      .match(/../g)!
      .reverse()
      .join('');
    words.push(w.slice(0, 4), w.slice(4));
  }
  const groups = words.map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  if (groups.slice(0, 7).every((g) => g === 0)) return `::${groups[7] ? groups[7].toString(16) : ''}`;
  return groups.map((g) => g.toString(16)).join(':');
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** TCP sockets `pid` listens on (all its threads share one fd table). */
export function listenersOf(pid: number): Listener[] {
  const inodes = socketInodes(pid);
  const all = [
    ...parseProcNetTcp(readOr(`/proc/${pid}/net/tcp`), false),
    ...parseProcNetTcp(readOr(`/proc/${pid}/net/tcp6`), true),
  ];
  return all.filter((l) => inodes.has(l.inode));
}

function readOr(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
