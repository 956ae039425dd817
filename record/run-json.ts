import { z } from 'zod';
import { BadInputError } from '../core/errors.ts';
import type { RunRecord } from './run-record.ts';

/**
 * The schema run.json is validated against when read: every field the engine writes, with its
 * type. Unknown keys are kept (a newer writer may add some); `summary` and `options` are free-form
 * (each suite and collector publishes its own figures there).
 */
const time = z.iso.datetime({ offset: true });

const phaseSchema = z.object({
  name: z.string(),
  parents: z.array(z.string()),
  startedAt: time,
  endedAt: time.nullable(),
  durationMs: z.number().nullable(),
  status: z.enum(['running', 'ok', 'failed', 'aborted', 'planned']),
  error: z.string().optional(),
});

const faultSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  plannedAt: time,
  appliedAt: time.nullable(),
  rolledBackAt: time.nullable(),
  status: z.enum(['planned', 'applied', 'apply-failed', 'rolled-back', 'rollback-failed', 'dry-run']),
  error: z.string().optional(),
  verified: z.string().optional(),
});

const checkSchema = z.object({
  name: z.string(),
  kind: z.enum(['before', 'after', 'target']),
  ok: z.boolean(),
  detail: z.string().optional(),
  at: time,
});

export const runRecordSchema = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  tool: z.object({ name: z.literal('rebuild-bench'), version: z.string() }),
  suite: z.object({ name: z.string(), source: z.string(), destructive: z.boolean(), description: z.string() }),
  cluster: z.object({
    name: z.string(),
    context: z.string().nullable(),
    kubeconfig: z.string().nullable(),
    server: z.string().nullable(),
    serverVersion: z.string().nullable(),
    argocd: z
      .object({ version: z.string().nullable(), mode: z.enum(['real', 'twin', 'unknown']), source: z.string() })
      .optional(),
    allowDestructive: z.boolean(),
  }),
  options: z.record(z.string(), z.unknown()),
  dryRun: z.boolean(),
  host: z.string(),
  pid: z.number().int(),
  startedAt: time,
  endedAt: time.nullable(),
  durationMs: z.number().nullable(),
  status: z.enum(['running', 'completed', 'failed', 'aborted', 'rollback-incomplete', 'interrupted']),
  phases: z.array(phaseSchema),
  faults: z.array(faultSchema),
  checks: z.array(checkSchema),
  verdict: z
    .object({ outcome: z.enum(['passed', 'failed', 'aborted', 'error']), reasons: z.array(z.string()) })
    .nullable(),
  validity: z.object({ valid: z.boolean(), reasons: z.array(z.string()) }),
  summary: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  exitCode: z.number().int().nullable(),
});

// The schema and the RunRecord interface describe the same thing: tsc fails when they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemaMatchesRunRecord = Assert<Same<z.infer<typeof runRecordSchema>, RunRecord>>;

/**
 * Parses and validates the text of a run.json. An unreadable, old or hand-edited record fails
 * with one message naming the file and the first field that is wrong (BadInputError, exit 2).
 */
export function parseRunRecord(text: string, file: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${file}: not a run record: invalid JSON (${(err as Error).message})`);
  }
  const r = runRecordSchema.safeParse(raw);
  if (r.success) return raw as RunRecord;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(top level)';
  const got = describe(
    issue.path.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
      raw,
    ),
  );
  const expected =
    issue.code === 'invalid_type'
      ? `expected ${issue.expected}`
      : issue.code === 'invalid_value'
        ? `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`
        : issue.message.replace(/^\w/, (c) => c.toLowerCase());
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  const hint =
    version !== 1
      ? ` (schemaVersion ${JSON.stringify(version)}: written by another version of rebuild-bench?)`
      : ' (was it edited by hand?)';
  throw new BadInputError(`${file}: not a valid run record: ${field}: ${expected}, got ${got}${hint}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
