import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../../core/errors.ts';
import { readAppsDir, type AppManifest } from '../../gitops/applications.ts';
import {
  APP_HEALTH_KEY,
  APP_HEALTH_LUA,
  APPLICATION_API_VERSION,
  ARGOCD_NAMESPACE,
  ROOT_APP,
} from '../../gitops/argocd.ts';
import { loadProfile, type TwinProfile } from './profile.ts';

export interface TwinInput {
  /** The GitOps directory given (the repository root for a bundle). */
  dir: string;
  /** Whether it is a bundle (apps/, root-app.yaml, argocd-cm.yaml, twin-profile.yaml) or a plain Application directory. */
  bundle: boolean;
  rootName: string;
  appsDir: string;
  apps: AppManifest[];
  profile: TwinProfile;
  profileFile: string | undefined;
  argocdCm: Record<string, string>;
  argocdCmFile: string | undefined;
  root: Record<string, any>;
  /** The working tree the real Argo CD reads (through a mirror): the bundle itself, or the repository a rehearsal rendered. */
  repoDir: string;
  /** Directories added to the mirror (a rehearsal's rendered Applications and placeholders). */
  extraDirs: Array<{ from: string; to: string }>;
  /** Chart archives or unpacked charts served as a local Helm repository. */
  chartsDir: string;
  /** Extra spellings of the repository's URL that Applications use (a rehearsal's origin remote). */
  repoUrls: string[];
  /** Services the repository makes (`namespace/name`), for the kubelet's connection checks (a rehearsal's). */
  knownServices: string[];
  /** The rehearsal manifest when the directory is one `rehearse` prepared. */
  rehearsal: RehearsalManifest | undefined;
}

/** Written by `rehearse` into the directory it prepares: where each piece of the rehearsal is. */
export const REHEARSAL_FILE = 'rehearsal.json';

export interface RehearsalManifest {
  /** The working tree (or exported revision) served to Argo CD. */
  repo: string;
  /** URLs of the repository that Applications name (all served from the mirror). */
  repoUrls: string[];
  /** Mirror path of the rendered Applications (the root's path). */
  appsPath: string;
  charts?: string | undefined;
  argocdCm?: string | undefined;
  profile?: string | undefined;
  /** `namespace/name` of every Service the rendered repository makes, operators' included. */
  services: string[];
  /** Applications replaced by a placeholder, with the reason. */
  emulated: Record<string, string>;
}

export interface TwinInputOptions {
  /** A bundle (apps/, argocd-cm.yaml, twin-profile.yaml, root-app.yaml) or a plain Application directory. */
  dir: string;
  profile?: string | undefined;
  argocdCm?: string | undefined;
  /** Add the Application health check to argocd-cm (waves then gate on health). */
  healthCheck?: boolean;
  rootName?: string;
  namespace?: string;
  waveAnnotation?: string;
}

function readYaml(file: string, what: string): Record<string, any> {
  try {
    return parse(readFileSync(file, 'utf8')) as Record<string, any>;
  } catch (err) {
    throw new BadInputError(`${file}: cannot read ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Resolves everything the twin needs from a GitOps directory, with documented defaults. */
export function loadTwinInput(o: TwinInputOptions): TwinInput {
  const dir = resolve(o.dir);
  const rehearsal = readRehearsal(dir);
  const bundle = rehearsal !== undefined || existsSync(join(dir, 'apps'));
  const appsDir = bundle ? join(dir, 'apps') : dir;
  const apps = readAppsDir(appsDir, o.waveAnnotation);
  const profileFile =
    o.profile ??
    rehearsal?.profile ??
    (bundle && existsSync(join(dir, 'twin-profile.yaml')) ? join(dir, 'twin-profile.yaml') : undefined);
  const profile = loadProfile(profileFile);
  const cmFile =
    o.argocdCm ??
    rehearsal?.argocdCm ??
    (bundle && existsSync(join(dir, 'argocd-cm.yaml')) ? join(dir, 'argocd-cm.yaml') : undefined);
  const cm = cmFile ? readYaml(cmFile, 'argocd-cm') : {};
  if (cmFile && (cm.kind !== 'ConfigMap' || cm.metadata?.name !== 'argocd-cm'))
    throw new BadInputError(`${cmFile}: expected the ConfigMap argocd-cm`);
  const argocdCm: Record<string, string> = { ...(cm.data ?? {}) };
  if (o.healthCheck && !argocdCm[APP_HEALTH_KEY]) argocdCm[APP_HEALTH_KEY] = APP_HEALTH_LUA;
  const namespace = o.namespace ?? ARGOCD_NAMESPACE;
  const rootFile = bundle && existsSync(join(dir, 'root-app.yaml')) ? join(dir, 'root-app.yaml') : undefined;
  const root = rootFile ? readYaml(rootFile, 'root Application') : defaultRoot(appsDir);
  // The root keeps its own name (teams name theirs) unless one is given.
  const rootName = o.rootName ?? (typeof root.metadata?.name === 'string' ? root.metadata.name : ROOT_APP);
  root.metadata = { ...(root.metadata ?? {}), name: rootName, namespace };
  return {
    dir,
    bundle,
    appsDir,
    apps,
    profile,
    profileFile,
    argocdCm,
    argocdCmFile: cmFile,
    root,
    rootName,
    repoDir: rehearsal?.repo ?? dir,
    extraDirs: rehearsal ? [{ from: appsDir, to: rehearsal.appsPath }, ...emulatedDir(dir)] : [],
    chartsDir: rehearsal ? (rehearsal.charts ?? join(dir, 'no-charts')) : join(dir, 'charts'),
    repoUrls: rehearsal?.repoUrls ?? [],
    knownServices: rehearsal?.services ?? [],
    rehearsal,
  };
}

/** Where `rehearse` puts the placeholder manifests of the apps it emulates, and their mirror path. */
export const EMULATED_DIR = 'emulated';
export const MIRROR_GENERATED = '.rebuild-bench';

function emulatedDir(dir: string): Array<{ from: string; to: string }> {
  const from = join(dir, EMULATED_DIR);
  return existsSync(from) ? [{ from, to: `${MIRROR_GENERATED}/${EMULATED_DIR}` }] : [];
}

function readRehearsal(dir: string): RehearsalManifest | undefined {
  const file = join(dir, REHEARSAL_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RehearsalManifest;
  } catch (err) {
    throw new BadInputError(`${file}: not a rehearsal manifest: ${(err as Error).message}`);
  }
}

function defaultRoot(appsDir: string): Record<string, any> {
  return {
    apiVersion: APPLICATION_API_VERSION,
    kind: 'Application',
    metadata: {},
    spec: {
      project: 'default',
      source: { repoURL: `file://${appsDir}`, path: '.', targetRevision: 'HEAD' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}
