/** Grafana provisioning files: the InfluxDB data source and the dashboard provider. No credentials. */
import { INFLUX_DATASOURCE } from './influxql.ts';

/** Where the dashboard provider reads grafana/dashboards/*.json (mount or copy them there). */
export const DASHBOARDS_PATH = '/etc/grafana/dashboards/rebuild-bench';

export const datasourceYaml = `# The InfluxDB data source of the rebuild-bench dashboards (InfluxQL, database rebuild_bench).
# 1.8 without auth needs no token. With auth, or 2.x / 3 Core through InfluxQL (2.x needs a DBRP
# mapping for rebuild_bench), export INFLUX_TOKEN before Grafana starts: Grafana expands it here.
apiVersion: 1
datasources:
  - name: rebuild-bench InfluxDB
    uid: ${INFLUX_DATASOURCE.uid}
    type: ${INFLUX_DATASOURCE.type}
    access: proxy
    url: http://127.0.0.1:8086
    jsonData:
      version: InfluxQL
      dbName: rebuild_bench
      httpMode: GET
      httpHeaderName1: Authorization
    secureJsonData:
      httpHeaderValue1: Token \${INFLUX_TOKEN}
    editable: false
`;

export const dashboardsYaml = `# Loads the rebuild-bench dashboards (grafana/dashboards/*.json) into the folder rebuild-bench.
apiVersion: 1
providers:
  - name: rebuild-bench
    orgId: 1
    folder: rebuild-bench
    type: file
    disableDeletion: false
    allowUiUpdates: false
    updateIntervalSeconds: 60
    options:
      path: ${DASHBOARDS_PATH}
`;
