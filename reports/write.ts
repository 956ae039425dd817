import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fs-durable.ts';
import { readPoints, readRunRecord } from '../record/store.ts';
import { buildReport, type ReportModel } from './model.ts';
import { renderHtml } from './render/html.ts';
import { renderJson } from './render/json.ts';
import { renderJunit } from './render/junit.ts';
import { renderMarkdown } from './render/markdown.ts';

export const REPORT_FORMATS = ['md', 'html', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = {
  md: 'report.md',
  html: 'report.html',
  json: 'report.json',
  junit: 'junit.xml',
};

const RENDERERS: Record<ReportFormat, (m: ReportModel) => string> = {
  md: renderMarkdown,
  html: renderHtml,
  json: renderJson,
  junit: renderJunit,
};

/** Parses `md,html` (also repeated flags, `markdown`, `xml`); unknown names are bad input. */
export function parseFormats(values: string | string[] | undefined): ReportFormat[] {
  const raw = (Array.isArray(values) ? values : values === undefined ? [] : [values])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
  if (raw.length === 0) return [...REPORT_FORMATS];
  const alias: Record<string, ReportFormat> = { markdown: 'md', xml: 'junit', htm: 'html' };
  const out: ReportFormat[] = [];
  for (const r of raw) {
    const f = (REPORT_FORMATS as readonly string[]).includes(r) ? (r as ReportFormat) : alias[r];
    if (!f) throw new BadInputError(`unknown report format "${r}" (choose from: ${REPORT_FORMATS.join(', ')})`);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Renders one model in the given formats (in REPORT_FORMATS order). */
export function renderReports(
  model: ReportModel,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
): Array<{ format: ReportFormat; file: string; content: string }> {
  return REPORT_FORMATS.filter((f) => formats.includes(f)).map((f) => ({
    format: f,
    file: REPORT_FILES[f],
    content: RENDERERS[f](model),
  }));
}

/**
 * Renders a stored run (run.json + points.lp, never live state) and writes report.md,
 * report.html, report.json and junit.xml into `outDir` (default: the run directory). Returns the paths.
 */
export function writeReports(
  runDir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  outDir: string = runDir,
): string[] {
  const model = buildReport(readRunRecord(runDir), readPoints(runDir));
  mkdirSync(outDir, { recursive: true });
  return renderReports(model, formats).map((r) => {
    const path = join(outDir, r.file);
    writeFileAtomic(path, r.content);
    return path;
  });
}
