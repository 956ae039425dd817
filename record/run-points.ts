import type { Point } from './point.ts';
import type { PhaseRecord } from './run-record.ts';

type RunPoint = Omit<Point, 'tags'> & { tags: Record<string, string> };

/** The rb_phase point of a step that ended at `ended` (ms). */
export function phasePoint(
  ph: Pick<PhaseRecord, 'name' | 'parents' | 'status'>,
  durationMs: number,
  ended: number,
): RunPoint {
  return {
    measurement: 'rb_phase',
    tags: { phase: ph.name, parent: ph.parents.join('/'), status: ph.status },
    fields: { duration_s: durationMs / 1000 },
    time: ended,
  };
}

/** The rb_fault point of a fault applied or rolled back at `time` (ms). */
export function faultPoint(
  f: { kind: string; id: string; title: string },
  event: 'applied' | 'rolled-back',
  time: number,
): RunPoint {
  return { measurement: 'rb_fault', tags: { fault: f.kind, fault_id: f.id, event }, fields: { title: f.title }, time };
}
