import { defineConfig } from 'vitest/config';

/**
 * unit: pure logic, no processes or servers.
 * cli: the CLI (and through it the engine) as real child processes (temporary files, no cluster).
 * cluster: integration tests against the sandbox (real kube-apiserver, etcd, influxd, k6),
 *          started once by the global setup and stopped afterwards.
 */
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.rebuild-bench/test-report.json' }]],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          globalSetup: ['test/setup/build.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/setup/build.ts', 'test/setup/sandbox.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
