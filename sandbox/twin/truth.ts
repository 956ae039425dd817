import { closeSync, openSync, writeSync } from 'node:fs';

/** One transition the twin caused, with the millisecond time its write to the API completed. */
export type TruthEvent =
  | {
      kind: 'app-sync-started' | 'app-synced' | 'app-healthy' | 'app-degraded' | 'app-progressing';
      app: string;
      wave: number;
      t: number;
    }
  | {
      kind: 'pod-ready' | 'pod-not-ready' | 'pod-completed' | 'pod-config-error';
      pod: string;
      namespace: string;
      app: string;
      t: number;
    }
  | {
      kind: 'pod-crash';
      pod: string;
      namespace: string;
      app: string;
      restartCount: number;
      reason: 'Error' | 'OOMKilled';
      dependencyWait: boolean;
      /** The apps and Services it could not reach. */
      waitingFor?: string[];
      t: number;
    }
  | {
      /** The end of the pod's image pulls (its Pulled events), after `ms` of pulling. */
      kind: 'pod-pulled';
      pod: string;
      namespace: string;
      app: string;
      ms: number;
      t: number;
    }
  | { kind: 'webhook-up' | 'webhook-down'; t: number }
  | { kind: 'admission'; t: number; latencyMs: number; mutated: boolean }
  | { kind: 'node-saturation'; node: string; utilisation: number; t: number }
  | { kind: 'cnpg-phase'; cluster: string; namespace: string; phase: string; t: number }
  | { kind: 'root-wave-applied'; wave: number; apps: number; t: number };

/** Ground truth as JSONL: tests compare collectors against it. Written synchronously, in order. */
export class TruthLog {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(e: TruthEvent): void {
    if (this.fd >= 0) writeSync(this.fd, `${JSON.stringify(e)}\n`);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
