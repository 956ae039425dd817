import { BadInputError } from '../core/errors.ts';
import { listRunIds, readPoints, readRunRecord, resolveRunId, runDir } from '../record/store.ts';
import { runFeatures, type RunFeatures } from './run-features.ts';

export function loadFeatures(home: string, id: string): RunFeatures {
  const dir = runDir(home, id);
  return runFeatures(readRunRecord(dir), readPoints(dir));
}

export interface LastRunsQuery {
  baselineLast: number;
  /** The candidate side: these runs, else the newest `candidateLast` runs of the suite. */
  candidate?: string[] | undefined;
  candidateLast?: number | undefined;
  suite?: string | undefined;
  cluster?: string | undefined;
  includeInvalid?: boolean | undefined;
}

const sameSetup = (a: RunFeatures, b: RunFeatures) =>
  a.suite === b.suite && a.cluster === b.cluster && JSON.stringify(a.options) === JSON.stringify(b.options);

/**
 * The newest comparable runs: the candidate side (given, or the newest runs of the suite), and
 * before it the N newest runs with the same suite, cluster and options (valid ones only unless asked).
 */
export function selectLastRuns(home: string, q: LastRunsQuery): { baseline: RunFeatures[]; candidate: RunFeatures[] } {
  const all = listRunIds(home).map((id) => loadFeatures(home, id));
  const usable = (r: RunFeatures) => r.status !== 'running' && (q.includeInvalid || r.valid);
  let candidate: RunFeatures[];
  if (q.candidate?.length) {
    candidate = q.candidate.map((ref) => loadFeatures(home, resolveRunId(home, ref)));
  } else {
    const pool = all.filter(
      (r) => usable(r) && (!q.suite || r.suite === q.suite) && (!q.cluster || r.cluster === q.cluster),
    );
    const newest = pool[pool.length - 1];
    if (!newest)
      throw new BadInputError(
        `no ${q.includeInvalid ? '' : 'valid '}runs${q.suite ? ` of suite ${q.suite}` : ''}${q.cluster ? ` on ${q.cluster}` : ''} in the run store`,
      );
    candidate = pool.filter((r) => sameSetup(r, newest)).slice(-(q.candidateLast ?? 1));
  }
  const ref = candidate[candidate.length - 1]!;
  const firstCandidate = candidate.map((r) => r.id).sort()[0]!;
  const baseline = all.filter((r) => r.id < firstCandidate && usable(r) && sameSetup(r, ref)).slice(-q.baselineLast);
  if (!baseline.length) {
    throw new BadInputError(
      `no earlier ${q.includeInvalid ? '' : 'valid '}run of suite ${ref.suite} on ${ref.cluster} with the same options as ${ref.id} to compare with`,
    );
  }
  return { baseline, candidate };
}
