import { join, resolve } from 'node:path';

/** A calibrated twin profile (`--calibrate`), and beside it which app took which duration from where. */
export const CALIBRATED_PROFILE_FILE = 'calibrated-profile.yaml';
export const CALIBRATION_FILE = 'calibration.json';

/** Default sandbox directory: `<home>/sandbox`, where home is the run store root. */
export function defaultSandboxDir(home: string): string {
  return join(home, 'sandbox');
}

/** Files of one sandbox directory. */
export function sandboxLayout(dir: string) {
  const d = resolve(dir);
  return {
    dir: d,
    state: join(d, 'state.json'),
    kubeconfig: join(d, 'kubeconfig'),
    config: join(d, 'rebuild-bench.yaml'),
    token: join(d, 'admin.token'),
    pki: join(d, 'pki'),
    logs: join(d, 'logs'),
    etcdData: join(d, 'etcd'),
    influxData: join(d, 'influxdb'),
    kwok: join(d, 'kwok'),
    kcm: join(d, 'kube-controller-manager'),
    scheduler: join(d, 'kube-scheduler'),
  };
}

export type SandboxLayout = ReturnType<typeof sandboxLayout>;
