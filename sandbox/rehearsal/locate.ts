import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { repoFiles } from './files.ts';

/** Where an Application is written: repo-relative file and the 1-based line of its `metadata.name`. */
export interface AppLocation {
  file: string;
  line: number;
  /** Line of its sync-wave annotation value, when it has one (what `--fix` edits). */
  waveLine: number | undefined;
}

/**
 * The Application manifests of a repository by name (the first definition under the overlay wins,
 * then anywhere else): kustomize's output does not say which file each came from.
 */
export function locateApplications(repoDir: string, preferUnder: string): Map<string, AppLocation> {
  const out = new Map<string, AppLocation>();
  const files = repoFiles(repoDir, /\.ya?ml$/).sort((a, b) => {
    const pa = relative(repoDir, a).startsWith(preferUnder) ? 0 : 1;
    const pb = relative(repoDir, b).startsWith(preferUnder) ? 0 : 1;
    return pa - pb || a.localeCompare(b);
  });
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (!/kind:\s*Application\b/.test(text)) continue;
    const lc = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter: lc })) {
      if (doc.errors.length > 0 || !isMap(doc.contents) || doc.get('kind') !== 'Application') continue;
      const name = doc.getIn(['metadata', 'name'], true);
      const value = doc.getIn(['metadata', 'name']);
      if (typeof value !== 'string' || out.has(value)) continue;
      const wave = doc.getIn(['metadata', 'annotations', 'argocd.argoproj.io/sync-wave'], true);
      const lineOf = (node: unknown) => {
        const range = (node as { range?: [number, number, number] } | undefined)?.range;
        return range ? lc.linePos(range[0]).line : undefined;
      };
      out.set(value, { file: relative(repoDir, file), line: lineOf(name) ?? 1, waveLine: lineOf(wave) });
    }
  }
  return out;
}
