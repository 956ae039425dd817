/** Command lines and config files of the sandbox processes: pure functions of the layout and the ports. */
import { join } from 'node:path';
import type { SandboxLayout } from './paths.ts';

export const LOOPBACK = '127.0.0.1';
/** Service ClusterIP range; the first address (10.0.0.1) is the `kubernetes` Service. */
export const SERVICE_CIDR = '10.0.0.0/24';
/** Pod IPs handed out by kwok (must not overlap the service range). */
export const POD_CIDR = '10.244.0.0/16';
export const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** kwok manages only nodes carrying this annotation (real nodes, if any, are left alone). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_SELECTOR = `${KWOK_NODE_ANNOTATION}=fake`;

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  influxHttp?: number;
  influxRpc?: number;
}

export const portNames: Array<keyof Ports> = [
  'etcdClient',
  'etcdPeer',
  'apiserver',
  'controllerManager',
  'scheduler',
  'kwok',
];

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
  tokens: string;
  /** kubeconfig the components use (admin identity, system:masters). */
  componentsKubeconfig: string;
}

export function pkiPaths(layout: SandboxLayout): Pki {
  const p = (f: string) => join(layout.pki, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    tokens: p('tokens.csv'),
    componentsKubeconfig: p('components.kubeconfig'),
  };
}

const url = (port: number) => `http://${LOOPBACK}:${port}`;

export function etcdArgs(layout: SandboxLayout, ports: Ports): string[] {
  return [
    '--name=sandbox',
    `--data-dir=${layout.etcdData}`,
    `--listen-client-urls=${url(ports.etcdClient)}`,
    `--advertise-client-urls=${url(ports.etcdClient)}`,
    `--listen-peer-urls=${url(ports.etcdPeer)}`,
    `--initial-advertise-peer-urls=${url(ports.etcdPeer)}`,
    `--initial-cluster=sandbox=${url(ports.etcdPeer)}`,
    '--initial-cluster-state=new',
    // A throwaway cluster: durability across power loss is not worth the fsync latency.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function apiserverArgs(layout: SandboxLayout, ports: Ports): string[] {
  const pki = pkiPaths(layout);
  return [
    `--etcd-servers=${url(ports.etcdClient)}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(layout.pki, 'apiserver-generated')}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${pki.tokens}`,
    // Front-proxy settings published in kube-system/extension-apiserver-authentication, which the
    // controller-manager and scheduler read for delegated authentication.
    `--requestheader-client-ca-file=${pki.caCert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--service-account-issuer=${SA_ISSUER}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--api-audiences=${SA_ISSUER}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=RBAC',
    // The `kubernetes` Service cannot have a loopback endpoint; nothing in the sandbox dials it.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
  ];
}

function delegated(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
  ];
}

export function controllerManagerArgs(layout: SandboxLayout, ports: Ports): string[] {
  const pki = pkiPaths(layout);
  return [
    ...delegated(pki.componentsKubeconfig),
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${layout.kcm}`,
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function schedulerArgs(layout: SandboxLayout, ports: Ports): string[] {
  const pki = pkiPaths(layout);
  return [
    ...delegated(pki.componentsKubeconfig),
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${layout.scheduler}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function kwokArgs(layout: SandboxLayout, ports: Ports, stagesFile: string): string[] {
  return [
    `--kubeconfig=${pkiPaths(layout).componentsKubeconfig}`,
    `--config=${stagesFile}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_SELECTOR}`,
    '--node-lease-duration-seconds=40',
    `--node-ip=${LOOPBACK}`,
    `--cidr=${POD_CIDR}`,
    `--server-address=${LOOPBACK}:${ports.kwok}`,
  ];
}

export function influxdArgs(configFile: string): string[] {
  return ['run', '-config', configFile];
}

/** influxd 1.8 configuration: HTTP and RPC on loopback, no usage reporting, no _internal database. */
export function influxConfig(dataDir: string, httpPort: number, rpcPort: number): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'reporting-disabled = true',
    `bind-address = ${q(`${LOOPBACK}:${rpcPort}`)}`,
    '',
    '[meta]',
    `  dir = ${q(join(dataDir, 'meta'))}`,
    '',
    '[data]',
    `  dir = ${q(join(dataDir, 'data'))}`,
    `  wal-dir = ${q(join(dataDir, 'wal'))}`,
    '  query-log-enabled = false',
    '',
    '[monitor]',
    '  store-enabled = false',
    '',
    '[http]',
    '  enabled = true',
    `  bind-address = ${q(`${LOOPBACK}:${httpPort}`)}`,
    '  auth-enabled = false',
    '  log-enabled = false',
    '  flux-enabled = false',
    '  pprof-enabled = false',
    '',
    '[continuous_queries]',
    '  enabled = false',
    '',
  ].join('\n');
}
