/**
 * Monitoring: VictoriaMetrics scrapes the cluster and the hosts, vmalert evaluates the alert rules, Alertmanager sends
 * the alerts to a webhook, node_exporter runs on every node, and vmui shows the metrics (charts/monitoring-chart.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CERTIFICATE_RULES_CONFIGMAP, MONITORING_SECRETS, monitoringDefaults, monitoringManifests, renderAlertmanagerConfig } from "./charts/monitoring-chart";
import { renderCertificateRules } from "./charts/monitoring-rules";
import type { IssuedCertificate, MonitoringSpec, ScrapeHosts } from "../spec/monitoring";
import { dependsOnList, plainSecretProblems, registerObjects } from "./k8s-objects";
import type { CertKeyPair } from "./cluster-pki";

/** Arguments of Monitoring: the config key's settings (see MonitoringSpec for each field) and what the stack knows. */
export interface MonitoringArgs extends MonitoringSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The hosts scraped by address: etcd members, masters and load balancers. */
  readonly hosts: ScrapeHosts;
  /** The etcd CA and a client certificate of it, for the etcd scrape; required when `hosts.etcd` is not empty. */
  readonly etcdClient?: { readonly caCert: pulumi.Input<string>; readonly cert: CertKeyPair };
  /** The URL Alertmanager posts alerts to, as a Pulumi secret. */
  readonly alertWebhookUrl: pulumi.Output<string>;
  /** The certificates the stack issued, for the expiry alert. @default none */
  readonly certificates?: pulumi.Input<IssuedCertificate[]>;
  /** Days before a certificate's expiry that its alert fires (pki.expiryWarningDays). @default 30 */
  readonly expiryWarningDays?: number;
  /** Whether Traefik runs, so vmui gets a route on its internal entry point. @default false */
  readonly traefik?: boolean;
}

export class Monitoring extends pulumi.ComponentResource {
  /** Namespace of the monitoring objects. */
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = [
      ...plainSecretProblems({ alertWebhookUrl: args.alertWebhookUrl, etcdClientKey: args.etcdClient?.cert.key }),
      args.hosts.etcd.length > 0 && !args.etcdClient ? "etcdClient: required to scrape etcd members; give the etcd CA and a client certificate" : undefined,
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(`Monitoring "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    super("onprem-k8s:monitoring:Monitoring", name, {}, opts);

    const { provider, etcdClient, alertWebhookUrl, certificates, expiryWarningDays, traefik, ...spec } = args;
    const namespace = spec.namespace ?? monitoringDefaults.namespace;
    const secretData: Record<string, pulumi.Output<Record<string, string>>> = {
      [MONITORING_SECRETS.alertmanagerConfig]: pulumi.secret(alertWebhookUrl.apply((url): Record<string, string> => ({ "alertmanager.yml": renderAlertmanagerConfig(url) }))),
    };
    if (etcdClient) {
      secretData[MONITORING_SECRETS.etcdClient] = pulumi.secret(
        pulumi.all([etcdClient.caCert, etcdClient.cert.cert, etcdClient.cert.key]).apply(([ca, cert, key]): Record<string, string> => ({ "ca.crt": ca, "tls.crt": cert, "tls.key": key })),
      );
    }
    const objects = monitoringManifests({ ...spec, traefik: traefik ?? false });
    const isNamespace = (o: { kind: string }) => o.kind === "Namespace";
    const [ns] = registerObjects(name, objects.filter(isNamespace), { parent: this, provider, dependsOn: dependsOnList(opts) });
    // The certificates' rules change with every re-issue, so they are data of the stack, not of the chart.
    const certificateRules = new k8s.core.v1.ConfigMap(
      `${name}/${namespace}/${CERTIFICATE_RULES_CONFIGMAP}`,
      {
        metadata: { name: CERTIFICATE_RULES_CONFIGMAP, namespace },
        data: { "certificates.yml": pulumi.output(certificates ?? []).apply((list) => renderCertificateRules(list, expiryWarningDays ?? 30)) },
      },
      { parent: this, provider, dependsOn: [ns.resource] },
    );
    registerObjects(
      name,
      objects.filter((o) => !isNamespace(o)),
      { parent: this, provider, secretData, dependsOn: [...dependsOnList(opts), ns.resource, certificateRules] },
    );
    this.namespace = pulumi.output(namespace);
    this.registerOutputs({ namespace: this.namespace });
  }
}
