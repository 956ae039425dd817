import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { at, obj, str, type Json } from '../../core/fields.ts';
import type { Logger } from '../../core/logger.ts';
import { EMULATED_ANNOTATION } from '../../gitops/argocd.ts';
import { serviceMakers, type DependencyEdge } from '../../gitops/dependencies.ts';
import type { Calibration } from '../../record/calibration.ts';
import { type CalibrationReport, writeCalibration } from '../twin/calibrate.ts';
import { EMULATED_DIR, MIRROR_GENERATED, REHEARSAL_FILE, type RehearsalManifest } from '../twin/bundle.ts';
import { placeholderManifests } from './placeholder.ts';
import type { AppPlan } from './render.ts';
import { renderRepository } from './repository.ts';
import { rehearsalRoot } from './root.ts';
import type { RehearsalSource } from './source.ts';
import type { RenderTools } from './tools.ts';

export interface RehearsalOptions {
  repoDir: string;
  overlay: string;
  root?: string | undefined;
  rootName?: string | undefined;
  revision?: string | undefined;
  charts?: string | undefined;
  sets?: string[] | undefined;
  repoUrls?: string[] | undefined;
  profile?: string | undefined;
  argocdCm?: string | undefined;
  /** Durations from a stored run, laid over the profile (calibrated-profile.yaml, calibration.json). */
  calibration?: Calibration | undefined;
  /** The directory to prepare (emptied first). */
  target: string;
  tools: RenderTools;
  log: Logger;
}

export interface RehearsalPlan {
  dir: string;
  source: RehearsalSource;
  overlay: string;
  rootName: string;
  /** Where the root came from: `--root <file>`, the repository's manifest that points at the overlay, or synthesised. */
  rootFrom: string;
  apps: AppPlan[];
  edges: DependencyEdge[];
  services: string[];
  /** With a calibration: which apps took which durations from where. */
  calibration: CalibrationReport | undefined;
}

export const APPS_PATH = `${MIRROR_GENERATED}/apps`;
/** Written beside rehearsal.json: the inferred graph and the emulated apps, read by reports and `--explain`. */
export const DEPENDENCIES_FILE = 'dependencies.json';

/**
 * Prepares a rehearsal of a GitOps repository (renderRepository), then writes the bundle
 * `sandbox up --twin` and the rebuild suite start from: the rendered Applications (placeholders for
 * what cannot be fetched, with the reason), a root that keeps the team's name, the Services the
 * kubelet checks connections to, and the graph for the reports.
 */
export async function prepareRehearsal(o: RehearsalOptions): Promise<RehearsalPlan> {
  const target = resolve(o.target);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, 'apps'), { recursive: true });
  const r = await renderRepository({ ...o, exportDir: join(target, 'source') });
  const { source, overlay, urls, apps, edges, rootManifest, foundRoot: found } = r;
  const rootName = o.rootName ?? str(at(rootManifest, 'metadata', 'name')) ?? found?.name ?? 'root';
  const repoURL = urls[0]!;
  const services = new Set(
    serviceMakers(apps.map((a) => a.rendering))
      .filter((m) => !m.weak)
      .map((m) => `${m.namespace}/${m.service}`),
  );
  const emulated: Record<string, string> = {};
  for (const a of apps) {
    let manifest = a.manifest;
    if (a.emulated) {
      emulated[a.name] = a.emulated;
      const release = a.rendering.releaseName ?? a.name;
      const wanted = edges.filter((e) => e.to === a.name && e.namespace === a.namespace).map((e) => e.service);
      const placeholder = placeholderManifests({ release, namespace: a.namespace, chart: a.chart, services: wanted });
      for (const p of placeholder)
        if (p.kind === 'Service') services.add(`${a.namespace}/${str(at(p, 'metadata', 'name')) ?? ''}`);
      mkdirSync(join(target, EMULATED_DIR, a.name), { recursive: true });
      writeFileSync(
        join(target, EMULATED_DIR, a.name, 'placeholder.yaml'),
        placeholder.map((p) => stringify(p)).join('---\n'),
      );
      manifest = emulatedApplication(a, repoURL);
    }
    writeFileSync(join(target, 'apps', `${a.name}.yaml`), stringify(manifest));
  }
  const calibrated = o.calibration
    ? writeCalibration(target, { base: o.profile, calibration: o.calibration, apps: apps.map((a) => a.name) })
    : undefined;
  const root = rehearsalRoot({ manifest: rootManifest, name: rootName, repoURL, appsPath: APPS_PATH, overlay });
  writeFileSync(join(target, 'root-app.yaml'), stringify(root));
  const manifest: RehearsalManifest = {
    repo: source.dir,
    repoUrls: urls,
    appsPath: APPS_PATH,
    charts: o.charts ? resolve(o.charts) : undefined,
    argocdCm: o.argocdCm ? resolve(o.argocdCm) : undefined,
    profile: calibrated?.profileFile ?? (o.profile ? resolve(o.profile) : undefined),
    services: [...services].sort(),
    emulated,
  };
  writeFileSync(join(target, REHEARSAL_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(target, DEPENDENCIES_FILE),
    `${JSON.stringify({ revision: source.revision, overlay, rootName, edges, emulated }, null, 2)}\n`,
  );
  const rootFrom = o.root ? `--root ${o.root}` : found ? found.file : 'synthesised';
  return {
    dir: target,
    source,
    overlay,
    rootName,
    rootFrom,
    apps,
    edges,
    services: manifest.services,
    calibration: calibrated?.report,
  };
}

/** The Application with its sources replaced by the placeholder in the mirror, and the reason on it. */
function emulatedApplication(a: AppPlan, repoURL: string): Json {
  const meta = obj(a.manifest.metadata);
  const spec: Json = { ...obj(a.manifest.spec) };
  delete spec.sources;
  spec.source = { repoURL, path: `${MIRROR_GENERATED}/${EMULATED_DIR}/${a.name}`, targetRevision: 'HEAD' };
  return {
    ...a.manifest,
    metadata: { ...meta, annotations: { ...obj(meta.annotations), [EMULATED_ANNOTATION]: a.emulated } },
    spec,
  };
}
