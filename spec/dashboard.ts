/** What the `dashboard` addon is made of: plain data, no Pulumi types, no secret values. */

/**
 * The Kubernetes Dashboard's image, pulled under its upstream name through the site's registry mirror: its Go modules
 * are not served here, so it is not built into the bundle, and a site must bring it (docs/images.md, "Archives made
 * elsewhere").
 */
export const DASHBOARD_IMAGE = "docker.io/kubernetesui/dashboard:v2.7.0";

/** The `dashboard` config key: the Kubernetes Dashboard on Traefik's internal entry point (components/dashboard.ts). */
export interface DashboardSpec {
  /** Namespace of the Dashboard's objects. @default "kubernetes-dashboard" */
  readonly namespace?: string;
  /** Host name the Dashboard answers on, over TLS, on Traefik's internal entry point. @default "dashboard.local" */
  readonly uiHost?: string;
}
