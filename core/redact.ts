/**
 * Removes credentials from text before it reaches a log, a journal or a report.
 * Known secret values (registered at start-up, e.g. the InfluxDB token) are replaced verbatim;
 * common credential shapes (bearer tokens, token=…, password=…) are masked by pattern.
 */
const secrets = new Set<string>();

const patterns: Array<[RegExp, string]> = [
  [/(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi, '$1***'],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1***'],
  [/((?:token|password|passwd|secret|api[_-]?key)\s*[=:]\s*)("?)[^\s"',;&]{6,}/gi, '$1$2***'],
  [/(client-key-data|client-certificate-data|token):\s*[A-Za-z0-9+/=._-]{16,}/g, '$1: ***'],
];

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  for (const [re, rep] of patterns) out = out.replace(re, rep);
  return out;
}
