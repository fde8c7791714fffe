import { App, Chart } from "cdk8s";

/** A Kubernetes object as a chart synthesizes it: plain JSON, ready to hand to Pulumi. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/**
 * Starts a chart in an `App` of its own: one App per chart keeps synthesis linear in the number
 * of charts, and `disableResourceNameHashes` keeps object names exactly as given. The chart sets no
 * default namespace because cdk8s would stamp it on cluster-scoped objects too.
 */
export function newChart(id: string): Chart {
  return new Chart(new App(), id, { disableResourceNameHashes: true });
}

/** Synthesizes a chart in memory; nothing is written to disk because the App is never synthesized. */
export function renderChart(chart: Chart): ManifestObject[] {
  return chart.toJson() as ManifestObject[];
}
