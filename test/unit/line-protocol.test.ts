import { describe, expect, it } from 'vitest';
import { parseLine, toLine } from '../../record/line-protocol.ts';

describe('line protocol', () => {
  it('writes sorted tags, float fields and nanosecond time', () => {
    const line = toLine({
      measurement: 'rb_phase',
      tags: { suite: 'rebuild', phase: 'apply' },
      fields: { duration_s: 12.5, ok: true },
      time: 1700000000123,
    });
    expect(line).toBe('rb_phase,phase=apply,suite=rebuild duration_s=12.5,ok=true 1700000000123000000');
  });

  it('escapes spaces, commas, equals and quotes, and round-trips them', () => {
    const p = {
      measurement: 'm a,b',
      tags: { 'k=1': 'v a,l=ue' },
      fields: { s: 'say "hi", \\ now\nplease', n: 3 },
      time: 42,
    };
    const line = toLine(p);
    expect(line).toBe('m\\ a\\,b,k\\=1=v\\ a\\,l\\=ue s="say \\"hi\\", \\\\ now\\nplease",n=3 42000000');
    expect(parseLine(line)).toEqual(p);
  });

  it('drops empty tags, rejects pointless points', () => {
    expect(toLine({ measurement: 'm', tags: { a: '', b: 'x' }, fields: { v: 1 }, time: 0 })).toBe('m,b=x v=1 0');
    expect(() => toLine({ measurement: 'm', tags: {}, fields: {}, time: 0 })).toThrow(/no fields/);
    expect(() => toLine({ measurement: 'm', tags: {}, fields: { v: Number.NaN }, time: 0 })).toThrow(/not finite/);
  });

  it('parses integer fields written by other tools', () => {
    expect(parseLine('cpu,host=a usage=12i,up=t 1000000').fields).toEqual({ usage: 12, up: true });
  });
});
