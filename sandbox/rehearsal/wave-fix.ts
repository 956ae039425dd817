import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WaveMove } from '../../gitops/lint/wave-plan.ts';
import type { AppLocation } from './locate.ts';

/**
 * Writes a wave plan into the Application files: the sync-wave annotation's value is replaced on
 * its line (comments and layout kept), or the annotation is added under metadata. Returns the files
 * changed and the moves it could not write (an Application not found in a file).
 */
export function applyWaveMoves(
  repoDir: string,
  moves: WaveMove[],
  locations: Map<string, AppLocation>,
): { files: string[]; skipped: WaveMove[] } {
  const byFile = new Map<string, Array<{ move: WaveMove; loc: AppLocation }>>();
  const skipped: WaveMove[] = [];
  for (const move of moves) {
    const loc = locations.get(move.app);
    if (!loc) skipped.push(move);
    else byFile.set(loc.file, [...(byFile.get(loc.file) ?? []), { move, loc }]);
  }
  for (const [file, edits] of byFile) {
    const path = join(repoDir, file);
    const lines = readFileSync(path, 'utf8').split('\n');
    // Bottom-up, so inserted lines do not shift the ones still to edit.
    for (const { move, loc } of edits.sort((a, b) => (b.loc.waveLine ?? b.loc.line) - (a.loc.waveLine ?? a.loc.line))) {
      if (loc.waveLine !== undefined) {
        const i = loc.waveLine - 1;
        lines[i] = lines[i]!.replace(/(sync-wave["']?\s*:\s*)(["']?)-?\d+\2/, `$1"${move.to}"`);
        continue;
      }
      const nameLine = lines[loc.line - 1]!;
      const indent = /^\s*/.exec(nameLine)?.[0] ?? '  ';
      const annotations = lines.findIndex(
        (l, i) => i >= loc.line - 3 && i < loc.line + 20 && l === `${indent}annotations:`,
      );
      if (annotations >= 0) lines.splice(annotations + 1, 0, `${indent}  argocd.argoproj.io/sync-wave: "${move.to}"`);
      else lines.splice(loc.line, 0, `${indent}annotations:`, `${indent}  argocd.argoproj.io/sync-wave: "${move.to}"`);
    }
    writeFileSync(path, lines.join('\n'));
  }
  return { files: [...byFile.keys()], skipped };
}
