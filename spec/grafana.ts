/** What the `grafana` addon is made of: plain data, no Pulumi types, no secret values. */

/**
 * Grafana's image, pulled under its upstream name through the site's registry mirror: Grafana is under the AGPL, so it
 * is not built into the bundle, and a site must bring it (docs/images.md, "Archives made elsewhere").
 */
export const GRAFANA_IMAGE = "docker.io/grafana/grafana:11.6.0";

/** The `grafana` config key: Grafana on the monitoring addon's VictoriaMetrics (components/grafana.ts). */
export interface GrafanaSpec {
  /** Namespace of Grafana's objects; the monitoring addon's namespace, where VictoriaMetrics is. @default "monitoring" */
  readonly namespace?: string;
  /** Host name Grafana answers on, on Traefik's internal entry point. @default "grafana.local" */
  readonly uiHost?: string;
  /**
   * Dashboards to provision, by file name (such as `node-exporter-full.json`), each a dashboard's JSON model as Grafana
   * exports it. @default none
   */
  readonly dashboards?: Readonly<Record<string, string>>;
}
