/** `npm run grafana`: writes grafana/dashboards/*.json and grafana/provisioning/**. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from './dashboards.ts';

for (const [path, content] of Object.entries(generatedFiles())) {
  const file = join(import.meta.dirname, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  console.log(`wrote grafana/${path}`);
}
