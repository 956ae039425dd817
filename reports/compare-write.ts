import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/fs-durable.ts';
import type { CompareModel } from './compare.ts';
import { renderCompareHtml } from './render/compare-html.ts';
import { renderCompareJunit } from './render/compare-junit.ts';
import { renderCompareMarkdown } from './render/compare-markdown.ts';
import { stableStringify } from './render/json.ts';
import { REPORT_FORMATS, type ReportFormat } from './write.ts';

export const COMPARE_FILES: Record<ReportFormat, string> = {
  md: 'compare.md',
  html: 'compare.html',
  json: 'compare.json',
  junit: 'compare-junit.xml',
};

const RENDERERS: Record<ReportFormat, (c: CompareModel) => string> = {
  md: renderCompareMarkdown,
  html: renderCompareHtml,
  json: (c) => `${stableStringify(c)}\n`,
  junit: renderCompareJunit,
};

/** Writes the comparison in the given formats into `outDir`; returns the paths. */
export function writeCompare(c: CompareModel, formats: readonly ReportFormat[], outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return REPORT_FORMATS.filter((f) => formats.includes(f)).map((f) => {
    const path = join(outDir, COMPARE_FILES[f]);
    writeFileAtomic(path, RENDERERS[f](c));
    return path;
  });
}
