/** Kubelet CrashLoopBackOff: 10 s after the first crash, doubling, capped at 300 s. */
export function crashBackoffMs(restartCount: number): number {
  const n = Math.max(1, restartCount);
  return Math.min(300_000, 10_000 * 2 ** (n - 1));
}
