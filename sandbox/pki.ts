import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { UserError } from '../core/errors.ts';
import { LOOPBACK, pkiPaths, type Pki } from './flags.ts';
import type { SandboxLayout } from './paths.ts';

export const CONTEXT_NAME = 'rebuild-bench-sandbox';
export const ADMIN_USER = 'rebuild-bench-admin';

/** Subject alternative names of the API server's serving certificate. */
export const servingSans = [
  `IP:${LOOPBACK}`,
  'DNS:localhost',
  'IP:10.0.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execa('openssl', args, { cwd, timeout: 60_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(
        'openssl was not found on PATH: install it (apt-get install openssl) to let the sandbox create its certificates',
        1,
      );
    throw new Error(`openssl ${args[0]} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

const ecKey = (out: string) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out];

/** openssl config with one extension section, so no system default sneaks in. */
function extFile(dir: string, name: string, lines: string[]): string {
  const p = join(dir, `${name}.ext.cnf`);
  writeFileSync(p, ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[ext]', ...lines, ''].join('\n'));
  return p;
}

async function signed(dir: string, pki: Pki, name: string, subject: string, ext: string[]): Promise<void> {
  const cnf = extFile(dir, name, ext);
  await openssl(ecKey(`${name}.key`), dir);
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-config', cnf, '-out', `${name}.csr`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      pki.caCert,
      '-CAkey',
      pki.caKey,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      cnf,
      '-extensions',
      'ext',
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

export interface Credentials {
  pki: Pki;
  adminCert: string;
  adminKey: string;
  /** Bearer token of the admin user (group system:masters), for tools without client certificates (k6). */
  token: string;
}

/**
 * Creates the CA, the API server's serving certificate (127.0.0.1, localhost and the in-cluster
 * names), the service-account signing key pair, an admin client certificate in system:masters and a
 * static admin token. Existing files are kept, so a restart keeps every issued credential valid.
 */
export async function ensurePki(layout: SandboxLayout): Promise<Credentials> {
  const pki = pkiPaths(layout);
  const dir = layout.pki;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(pki.caCert) || !existsSync(pki.caKey)) {
    const cnf = extFile(dir, 'ca', [
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      'subjectKeyIdentifier = hash',
    ]);
    await openssl(ecKey('ca.key'), dir);
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-subj',
        '/CN=rebuild-bench-sandbox-ca',
        '-days',
        '3650',
        '-sha256',
        '-config',
        cnf,
        '-extensions',
        'ext',
        '-out',
        'ca.crt',
      ],
      dir,
    );
  }
  if (!existsSync(pki.servingCert)) {
    await signed(dir, pki, 'apiserver', '/CN=kube-apiserver', [
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${servingSans.join(', ')}`,
    ]);
  }
  const adminCert = join(dir, 'admin.crt');
  const adminKey = join(dir, 'admin.key');
  if (!existsSync(adminCert)) {
    await signed(dir, pki, 'admin', `/O=system:masters/CN=${ADMIN_USER}`, [
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = clientAuth',
    ]);
  }
  if (!existsSync(pki.saKey)) {
    await openssl(ecKey('sa.key'), dir);
    await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  }
  if (!existsSync(layout.token)) {
    writeFileSync(layout.token, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  }
  const token = readFileSync(layout.token, 'utf8').trim();
  writeFileSync(pki.tokens, `${token},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, { mode: 0o600 });
  for (const f of [pki.caKey, pki.servingKey, pki.saKey, adminKey]) chmodSync(f, 0o600);
  return { pki, adminCert, adminKey, token };
}

/** A kubeconfig with the certificates embedded, so it works when copied elsewhere. */
export function renderKubeconfig(server: string, creds: Credentials): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server, 'certificate-authority-data': b64(creds.pki.caCert) } }],
    users: [
      {
        name: ADMIN_USER,
        user: { 'client-certificate-data': b64(creds.adminCert), 'client-key-data': b64(creds.adminKey) },
      },
    ],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: ADMIN_USER } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}
