import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schema } from '../../record/point-schema.ts';

const doc = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');

/** `### \`rb_x\`` sections of docs/metrics.md, each with its tag and field rows. */
function sections(): Map<string, { tags: string[]; fields: string[]; text: string }> {
  const out = new Map<string, { tags: string[]; fields: string[]; text: string }>();
  for (const part of doc.split(/^### /m).slice(1)) {
    const name = /^`(rb_\w+)`/.exec(part)?.[1];
    if (!name) continue;
    const text = part.split(/^## /m)[0]!;
    const rows = (kind: string) =>
      [...text.matchAll(new RegExp(`^\\|\\s*${kind}\\s*\\|\\s*\`(\\w+)\``, 'gm'))].map((m) => m[1]!);
    out.set(name, { tags: rows('tag'), fields: rows('field'), text });
  }
  return out;
}

describe('docs/metrics.md and record/point-schema.ts', () => {
  const documented = sections();
  const measurements = Object.keys(schema) as Array<keyof typeof schema>;

  it('documents every measurement of the schema in its own section', () => {
    expect([...documented.keys()].sort()).toEqual([...measurements].sort());
  });

  it.each(measurements)('%s: exactly the tags and fields of the schema, each in a table row', (m) => {
    const d = documented.get(m);
    expect(d, `docs/metrics.md has no "### \`${m}\`" section`).toBeDefined();
    expect([...d!.tags].sort()).toEqual([...schema[m].tags].sort());
    expect([...d!.fields].sort()).toEqual([...schema[m].fields].sort());
  });

  it('documents the common tags run, suite and cluster', () => {
    const conventions = doc.split(/^## /m).find((s) => s.startsWith('Conventions'));
    expect(conventions).toBeDefined();
    for (const tag of ['run', 'suite', 'cluster']) expect(conventions).toContain(`\`${tag}\``);
  });

  it('names no measurement the schema does not have', () => {
    const named = new Set([...doc.matchAll(/\brb_\w+/g)].map((m) => m[0]));
    const unknown = [...named].filter((n) => !(n in schema));
    expect(unknown).toEqual([]);
    // and every measurement is named (beyond its heading) at least once more: in an example
    for (const m of measurements) expect(doc.split(m).length - 1, m).toBeGreaterThanOrEqual(2);
  });
});
