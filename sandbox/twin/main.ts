/**
 * The twin as a long-running process (started detached by `sandbox up --twin`, stopped by
 * `sandbox down`): argv[2] is a JSON LaunchSpec.
 */
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../core/logger.ts';
import { errorMessage } from '../../core/errors.ts';
import { loadTwinInput } from './bundle.ts';
import { startTwin } from './twin.ts';
import { scaledWaveDelaySeconds } from '../../gitops/argocd.ts';
import type { TwinLaunchSpec } from './launch.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as TwinLaunchSpec;
const log = createLogger({ level: 'info' });
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(spec.kubeconfig);
  const input = loadTwinInput(spec.input);
  // The time scale applies to every twin duration, and to Argo CD's 2 s wave delay in whole
  // seconds, as ARGOCD_SYNC_WAVE_DELAY takes it (the real controller gets the same value).
  const scale = spec.timeScale ?? 1;
  const twin = await startTwin({
    kc,
    input,
    stateDir: spec.stateDir,
    log,
    timeScale: scale,
    waveDelayMs: scaledWaveDelaySeconds(scale) * 1000,
    argocd: spec.argocd ?? 'twin',
  });
  const stop = async (sig: string) => {
    log.info(`twin: ${sig}, stopping`);
    await twin.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  log.error(`twin failed to start: ${errorMessage(err)}`);
  process.exit(1);
}
