import { describe, expect, it } from 'vitest';
import { lineParser, parseLine, toLine } from '../../record/line-protocol.ts';

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

  it('reads quoted field values holding spaces, commas, equals and escapes after plain tags', () => {
    const p = {
      measurement: 'rb_event',
      tags: { kind: 'Pod', reason: 'BackOff' },
      fields: { message: 'Back-off a=1, b "c" \\ d\ne', count: 3, ok: false },
      time: 1795310624605.123,
    };
    expect(parseLine(toLine(p))).toEqual(p);
    expect(parseLine('m,a=1 s="x y",n=2u 1795310624605123999')).toEqual({
      measurement: 'm',
      tags: { a: '1' },
      fields: { s: 'x y', n: 2 },
      time: 1795310624605.123,
    });
  });

  it('a lineParser gives what parseLine gives, with its own tags object for each point of a series', () => {
    const lines = [
      'rb_k6,metric=http_reqs,name=POST\\ pods?dryRun=All,status=201 value=1 1795310624605123000',
      'rb_k6,metric=http_reqs,name=POST\\ pods?dryRun=All,status=201 value=1 1795310624730456000',
      'm\\ a\\,b,k\\=1=v\\ a\\,l\\=ue s="say \\"hi\\", \\\\ now\\nplease",n=3 42000000',
      'm,"q"=1 v=1 1000000',
      'rb_k6,metric=vus value=4',
    ];
    const parse = lineParser();
    const points = lines.map((l) => parse(l));
    expect(points).toEqual(lines.map((l) => parseLine(l)));
    expect(points[0]!.tags).not.toBe(points[1]!.tags);
    expect(points[0]!.tags.name).toBe('POST pods?dryRun=All');
    expect(() => parse('rb_k6,metric=vus')).toThrow(/malformed line/);
  });

  it('parses integer fields written by other tools', () => {
    expect(parseLine('cpu,host=a usage=12i,up=t 1000000').fields).toEqual({ usage: 12, up: true });
  });
});
