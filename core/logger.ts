import { redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger whose lines carry a prefix (a step or fault name). */
  child(prefix: string): Logger;
}

/** Receives every formatted (and redacted) line; filters by level itself. */
export type LogSink = (level: LogLevel, line: string) => void;

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function atLeast(level: LogLevel, min: LogLevel): boolean {
  return order[level] >= order[min];
}

/** Timestamped lines on stderr, from `min` up (stdout stays free for --json output). */
export function terminalSink(min: LogLevel): LogSink {
  return (level, line) => {
    if (atLeast(level, min)) process.stderr.write(`${line}\n`);
  };
}

export interface LoggerOptions {
  level?: LogLevel;
  sinks?: LogSink[];
  clock?: () => number;
}

export function createLogger(opts: LoggerOptions = {}, prefix = ''): Logger {
  const sinks = opts.sinks ?? [terminalSink(opts.level ?? 'info')];
  const clock = opts.clock ?? Date.now;
  const emit = (level: LogLevel, msg: string) => {
    const stamp = new Date(clock()).toISOString();
    const tag = level === 'info' ? '' : ` ${level.toUpperCase()}`;
    const line = `${stamp}${tag} ${redact(prefix ? `[${prefix}] ${msg}` : msg)}`;
    for (const sink of sinks) sink(level, line);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => createLogger({ ...opts, sinks }, prefix ? `${prefix}/${p}` : p),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
