import type { CompareModel } from '../compare.ts';
import { fmtDelta } from './compare-markdown.ts';
import { junitXml, type JUnitCase } from './junit.ts';

/** One testcase per figure: it fails only on a significant regression (verdict "slower"). */
export function renderCompareJunit(c: CompareModel): string {
  const cases: JUnitCase[] = c.metrics.map((m) => ({
    classname: `rebuild-bench.compare.${c.suite}`,
    name: `no regression: ${m.label}`,
    time: 0,
    ...(m.verdict === 'slower'
      ? { failure: { type: 'regression', message: `${m.label}: ${fmtDelta(m)} — ${m.reason}` } }
      : {}),
  }));
  return junitXml({
    name: `rebuild-bench compare ${c.suite} on ${c.cluster}`,
    timestamp: c.candidate[c.candidate.length - 1]!.startedAt,
    seconds: 0,
    props: [
      ['baseline', c.baseline.map((r) => r.id).join(',')],
      ['candidate', c.candidate.map((r) => r.id).join(',')],
      ['verdict', c.verdict],
      ['headline', c.headline],
    ],
    cases,
  });
}
