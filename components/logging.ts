/**
 * Logging: vlagent on every node ships each container's log, with its pod's metadata, to VictoriaLogs, which keeps it
 * for `retention` and answers LogsQL and its UI (charts/logging-chart.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loggingDefaults, loggingManifests } from "./charts/logging-chart";
import type { LoggingSpec } from "../spec/logging";
import { dependsOnList, registerObjects } from "./k8s-objects";

/** Arguments of Logging: the config key's settings (see LoggingSpec for each field) and the cluster. */
export interface LoggingArgs extends LoggingSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Whether Traefik runs, so the log UI gets a route on its internal entry point. @default false */
  readonly traefik?: boolean;
}

export class Logging extends pulumi.ComponentResource {
  /** Namespace of the logging objects. */
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:logging:Logging", name, {}, opts);
    const { provider, traefik, ...spec } = args;
    registerObjects(name, loggingManifests({ ...spec, traefik: traefik ?? false }), { parent: this, provider, dependsOn: dependsOnList(opts) });
    this.namespace = pulumi.output(spec.namespace ?? loggingDefaults.namespace);
    this.registerOutputs({ namespace: this.namespace });
  }
}
