/**
 * Removes credentials from text before it reaches a log, a journal or a report.
 * Known secret values (registered at start-up, e.g. the InfluxDB token, or the values Terraform
 * marks sensitive in a plan) are replaced verbatim; common credential shapes are masked by pattern:
 * bearer tokens, `token=…` / `password: …`, JSON-quoted keys (`"password": "…"`), PEM blocks and
 * kubeconfig `*-data` fields.
 */
const secrets = new Set<string>();
/** Longest first, so that a secret containing another is masked whole. */
let ordered: string[] = [];

/** Key names whose values are credentials (a JSON key ending with one of them, case-insensitive). */
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credentials?)`;

const patterns: Array<[RegExp, string]> = [
  // PEM blocks (private keys, certificates): the body goes, the armour lines stay as a hint.
  [/(-----BEGIN ([A-Z0-9 ]+)-----)[\s\S]*?(-----END \2-----)/g, '$1 *** $3'],
  [/(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi, '$1***'],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1***'],
  // JSON: "password": "…", "db_token":"…" (the quotes stay, so the JSON stays valid).
  [new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*")(?:[^"\\]|\\.)+(")`, 'gi'), '$1***$2'],
  // kubeconfig (YAML or JSON): client-key-data, client-certificate-data, certificate-authority-data, token-data …
  [/(["']?[a-z]+(?:-[a-z]+)*-data["']?\s*:\s*["']?)[A-Za-z0-9+/=]{16,}/g, '$1***'],
  [/((?:token|password|passwd|secret|api[_-]?key)\s*[=:]\s*)("?)[^\s"',;&]{6,}/gi, '$1$2***'],
  [/(token):\s*[A-Za-z0-9+/=._-]{16,}/g, '$1: ***'],
];

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  ordered = [...secrets].sort((a, b) => b.length - a.length);
}

export function redact(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join('***');
  for (const [re, rep] of patterns) out = out.replace(re, rep);
  return out;
}
