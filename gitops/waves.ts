/** Per-wave "healthy/total" line, e.g. `-5:1/1 0:7/9 10:3/32`. */
export function waveLine(apps: Array<{ wave: number; ok: boolean }>): string {
  const byWave = new Map<number, { ok: number; n: number }>();
  for (const a of apps) {
    const w = byWave.get(a.wave) ?? { ok: 0, n: 0 };
    w.n++;
    if (a.ok) w.ok++;
    byWave.set(a.wave, w);
  }
  return [...byWave.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([w, c]) => `${w}:${c.ok}/${c.n}`)
    .join(' ');
}
