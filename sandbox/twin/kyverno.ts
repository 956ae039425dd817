import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { sleep } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { TwinApi } from './api.ts';
import type { TwinCaches } from './caches.ts';
import type { CpuModel } from './cpu.ts';
import { webhookLatencyMs } from './model.ts';
import type { TruthLog } from './truth.ts';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../../gitops/kyverno.ts';

/** The label the twin's sizing policy adds, as the homelab's Kyverno policy did (seed 004). */
export const SIZING_LABEL = 'vixens.io/sizing';

export interface KyvernoTwinOptions {
  dir: string;
  namespace: string;
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
}

/** A CA and a serving certificate for 127.0.0.1, Kyverno's own (not the sandbox CA). */
async function ensureWebhookPki(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  if (!existsSync(f('tls.crt'))) {
    const run = (args: string[]) => execa('openssl', args, { cwd: dir, timeout: 30_000 });
    writeFileSync(
      f('ext.cnf'),
      '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:kyverno-svc.kyverno.svc\n',
    );
    await run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=kyverno-ca',
      '-days',
      '3650',
      '-config',
      'ext.cnf',
      '-extensions',
      'ca',
    ]);
    await run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      '/CN=kyverno-svc',
      '-config',
      'ext.cnf',
    ]);
    await run([
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      'ext.cnf',
      '-extensions',
      'leaf',
      '-out',
      'tls.crt',
    ]);
  }
  return {
    ca: readFileSync(f('ca.crt'), 'utf8'),
    cert: readFileSync(f('tls.crt'), 'utf8'),
    key: readFileSync(f('tls.key'), 'utf8'),
  };
}

/**
 * Kyverno's admission webhooks: while kyverno-admission-controller has a Ready pod the twin
 * serves HTTPS on 127.0.0.1 and (re)registers the webhook configurations as Kyverno does when it
 * starts; with no Ready pod it stops listening, so calls fail as with a Service without endpoints.
 * Each answer waits for the CPU model's latency of the node Kyverno runs on.
 */
export class KyvernoTwin {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private up = false;
  private transition: Promise<void> = Promise.resolve();
  private pki!: { ca: string; cert: string; key: string };
  served = 0;

  constructor(
    private readonly api: TwinApi,
    private readonly caches: TwinCaches,
    private readonly cpu: CpuModel,
    private readonly truth: TruthLog,
    private readonly log: Logger,
    private readonly o: KyvernoTwinOptions,
  ) {}

  async start(): Promise<void> {
    this.pki = await ensureWebhookPki(join(this.o.dir, 'kyverno-pki'));
    this.caches.deployments.on((e) => {
      if (e.object.metadata?.name === KYVERNO_ADMISSION_DEPLOYMENT && e.object.metadata?.namespace === this.o.namespace)
        this.check();
    });
    this.check();
  }

  async stop(): Promise<void> {
    await this.setUp(false);
  }

  private check(): void {
    const d = this.caches.deployments.get(this.o.namespace, KYVERNO_ADMISSION_DEPLOYMENT);
    const ready = (d?.status?.readyReplicas ?? 0) > 0;
    if (ready !== this.up)
      this.transition = this.transition
        .then(() => this.setUp(ready))
        .catch((err: unknown) => this.log.warn(`kyverno: ${errorMessage(err)}`));
  }

  private kyvernoNode(): string | undefined {
    for (const p of this.caches.pods.items) {
      if (
        p.metadata?.namespace === this.o.namespace &&
        p.metadata?.labels?.['app.kubernetes.io/name'] === KYVERNO_ADMISSION_DEPLOYMENT &&
        p.spec?.nodeName
      )
        return p.spec.nodeName;
    }
    return undefined;
  }

  private async setUp(up: boolean): Promise<void> {
    if (up === this.up) return;
    this.up = up;
    if (up) {
      // The API server drops a webhook call whose own client went away (a probe cancelled by Ctrl-C): reading
      // that request's body fails with "aborted", which must not take the twin down.
      this.server = createServer({ cert: this.pki.cert, key: this.pki.key }, (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.log.debug(`webhook request dropped: ${errorMessage(err)}`);
          if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
        });
      });
      this.server.on('connection', (s: Socket) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(this.port, '127.0.0.1', () => resolve());
      });
      this.port = (this.server.address() as { port: number }).port;
      await this.register();
      this.truth.write({ kind: 'webhook-up', t: Date.now() });
      this.log.info(
        `kyverno: webhook serving on 127.0.0.1:${this.port} (${this.o.failurePolicy}, ${this.o.timeoutSeconds} s)`,
      );
    } else {
      const s = this.server;
      this.server = undefined;
      for (const sock of this.sockets) sock.destroy();
      if (s) await new Promise<void>((r) => s.close(() => r()));
      this.truth.write({ kind: 'webhook-down', t: Date.now() });
      this.log.info('kyverno: no Ready admission controller: webhook stopped answering');
    }
  }

  private webhookEntry(kind: 'mutate' | 'validate') {
    const suffix = this.o.failurePolicy === 'Fail' ? 'fail' : 'ignore';
    return {
      name: `${kind}.kyverno.svc-${suffix}`,
      admissionReviewVersions: ['v1'],
      clientConfig: {
        url: `https://127.0.0.1:${this.port}/${kind}/${suffix}`,
        caBundle: Buffer.from(this.pki.ca).toString('base64'),
      },
      failurePolicy: this.o.failurePolicy,
      matchPolicy: 'Equivalent',
      namespaceSelector: {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', this.o.namespace] },
        ],
      },
      rules: [
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: '*' },
      ],
      sideEffects: 'NoneOnDryRun',
      timeoutSeconds: this.o.timeoutSeconds,
      ...(kind === 'mutate' ? { reinvocationPolicy: 'IfNeeded' } : {}),
    };
  }

  /** Creates or replaces both configurations, as Kyverno's webhook controller does on start. */
  private async register(): Promise<void> {
    const labels = { 'webhook.kyverno.io/managed-by': 'kyverno' };
    await this.api.apply(
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${KYVERNO_MUTATING_WEBHOOK}`,
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: KYVERNO_MUTATING_WEBHOOK, labels },
        webhooks: [this.webhookEntry('mutate')],
      },
    );
    await this.api.apply(
      `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${KYVERNO_VALIDATING_WEBHOOK}`,
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: KYVERNO_VALIDATING_WEBHOOK, labels },
        webhooks: [this.webhookEntry('validate')],
      },
    );
  }

  private async handle(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    const started = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let review: any;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const node = this.kyvernoNode();
    const latency = webhookLatencyMs(node ? this.cpu.utilisation(node) : 0);
    await sleep(latency);
    if (!this.up || res.destroyed) return;
    const uid = review?.request?.uid;
    const response: Record<string, unknown> = { uid, allowed: true };
    let mutated = false;
    if (req.url?.startsWith('/mutate')) {
      const patch = sizingPatch(review?.request?.object);
      if (patch.length) {
        mutated = true;
        response.patchType = 'JSONPatch';
        response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    this.served++;
    this.truth.write({ kind: 'admission', t: Date.now(), latencyMs: Date.now() - started, mutated });
  }
}

/** The sizing policy: label pods without one as `micro` and give containers without resources 128Mi. */
export function sizingPatch(pod: any): object[] {
  if (!pod || pod.kind !== 'Pod') return [];
  const ops: object[] = [];
  const labels = pod.metadata?.labels;
  if (!labels) ops.push({ op: 'add', path: '/metadata/labels', value: { [SIZING_LABEL]: 'micro' } });
  else if (!labels[SIZING_LABEL])
    ops.push({ op: 'add', path: `/metadata/labels/${SIZING_LABEL.replace('/', '~1')}`, value: 'micro' });
  (pod.spec?.containers ?? []).forEach((c: any, i: number) => {
    if (!c.resources || (!c.resources.requests && !c.resources.limits)) {
      ops.push({
        op: 'add',
        path: `/spec/containers/${i}/resources`,
        value: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '128Mi' } },
      });
    }
  });
  return ops;
}
