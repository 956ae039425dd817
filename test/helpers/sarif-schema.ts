/**
 * Validation against the SARIF 2.1.0 JSON schema (the final 2.1.0 schema, "rtm.5", as Microsoft's
 * SARIF SDK ships it in @microsoft/jest-sarif), with ajv 6, which reads its draft-04 dialect.
 */
import { createRequire } from 'node:module';
import Ajv from 'ajv';

const require = createRequire(import.meta.url);
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as { id: string };
const ajv = new Ajv({ schemaId: 'auto', allErrors: true, validateSchema: false });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json') as object);
const validate = ajv.compile(schema);

/** The schema violations of a SARIF log, as "path: message" lines (empty when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.dataPath || '/'}: ${e.message ?? e.keyword}`);
}
