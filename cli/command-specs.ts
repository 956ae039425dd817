/**
 * Every command's name, positionals and one-line description, in the order `--help` lists them.
 * Plain data, so that `--help` and the choice of the command to load need no command module.
 */
export const commandSpecs = {
  run: {
    command: 'run <suite>',
    describe: 'Run a suite (built-in name or path to your own .ts file) and record it in the run store',
  },
  list: {
    command: 'list',
    describe: 'List past runs, oldest first',
  },
  show: {
    command: 'show <run>',
    describe: "A run's summary: verdict, phases, faults, checks, validity",
  },
  cleanup: {
    command: 'cleanup',
    describe: 'Replay unfinished rollbacks of crashed runs, then list cluster objects labelled rebuild-bench/run=<id>',
  },
  sandbox: {
    command: 'sandbox <action>',
    describe:
      'Local control plane on 127.0.0.1: real etcd, kube-apiserver, controller-manager, scheduler, kwok nodes (and influxd)',
  },
  demo: {
    command: 'demo',
    describe:
      'The main job on a local sandbox: rebuild the homelab fixture (64 Applications, waves -5…10) with the real Argo CD and time it wave by wave',
  },
  rehearse: {
    command: 'rehearse <repo>',
    describe:
      'Rehearse your own GitOps repository on a local sandbox: the real Argo CD syncs your overlay, the sandbox runs every workload and says which apps crash-loop and why',
  },
  lint: {
    command: 'lint <repo>',
    describe:
      'Find in seconds, without a cluster, what will make a rebuild slow or stuck: wave inversions, waves that do not gate, fail-closed webhooks, missing namespaces and Secrets',
  },
  predict: {
    command: 'predict <repo>',
    describe:
      "Predict a rebuild of your repository's wave plan in seconds, without a cluster: total time, critical path and crash-loops, from a calibrated run",
  },
  push: {
    command: 'push <run>',
    describe: "Send a stored run's points to InfluxDB (idempotent: pushing twice stores each point once)",
  },
  report: {
    command: 'report <run>',
    describe: "Render a run's reports (Markdown, HTML, JSON, JUnit) from the run store",
  },
  compare: {
    command: 'compare [baseline..]',
    describe:
      'Compare runs before and after a change: total, phases, waves, restarts, admission latency, and what the change did',
  },
} as const;

export type CommandName = keyof typeof commandSpecs;
