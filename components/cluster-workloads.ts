/** The Kubernetes side of a stack: the addons and the business apps, through one provider. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AppConfig, PortRange } from "../spec/cluster";
import { WebApp } from "./webapp";
import { dependsOnList } from "./k8s-objects";

/** A configured addon, ready to be installed under the workloads component. */
export interface AddonInstance {
  /** The addon's config key; its component is named `<workloads name>-<name>`. */
  readonly name: string;
  /** Whether the apps wait for it (an ingress class, a storage class); the others are installed after those. */
  readonly appsNeedIt: boolean;
  /** The names of the addons it is installed after, when they are installed. */
  readonly after: readonly string[];
  /** Creates the addon's component with the given name and options (its parent is the workloads component). */
  install(resourceName: string, opts: pulumi.ComponentResourceOptions): pulumi.Resource;
}

export interface ClusterWorkloadsArgs {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The addons to install, in order; the apps wait for those they need (ingress class, storage class). */
  readonly addons: readonly AddonInstance[];
  /** The business apps. */
  readonly apps: readonly AppConfig[];
  /** Resolves a secret config key to its value (a Pulumi secret). */
  readonly secretValue: (key: string) => pulumi.Output<string>;
  /** The VIP in front of the edge nodes; Traefik's address and the address in NodePort URLs. */
  readonly edgeVip?: string;
  /** NodePort range of the API server, for checking the apps' node ports. */
  readonly nodePortRange: PortRange;
  /** Cluster DNS domain. */
  readonly clusterDomain: string;
  /** Whether Traefik really runs on the edge nodes; when they are all simulated, nothing publishes an Ingress's address. */
  readonly edgeNodesRun: boolean;
}

export class ClusterWorkloads extends pulumi.ComponentResource {
  /** Every app's URLs, by app name. */
  readonly appUrls: pulumi.Output<Record<string, string[]>>;
  /** Each installed addon's component, by addon name. */
  readonly addonComponents: ReadonlyMap<string, pulumi.Resource>;

  constructor(name: string, args: ClusterWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:ClusterWorkloads", name, {}, opts);
    const { provider } = args;
    // Each name to the value of its secret config key; none when there are none.
    const secretValues = (keys: Readonly<Record<string, string>>) =>
      Object.keys(keys).length === 0 ? undefined : Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, args.secretValue(key)]));
    // Addons and apps wait for whatever the component waits for (the nodes), which Pulumi does not pass down to children.
    const waitFor = dependsOnList(opts);
    const installed = new Map<string, pulumi.Resource>();
    const install = (addon: AddonInstance, after: pulumi.Resource[]) => {
      const named = addon.after.flatMap((key) => installed.get(key) ?? []);
      const resource = addon.install(`${name}-${addon.name}`, { parent: this, dependsOn: [...waitFor, ...after, ...named] });
      installed.set(addon.name, resource);
      return resource;
    };
    const needed = args.addons.filter((a) => a.appsNeedIt).map((addon) => install(addon, []));
    // In the list's order, so an addon comes after those it names.
    for (const addon of args.addons.filter((a) => !a.appsNeedIt)) install(addon, needed);
    const dependsOn = [...waitFor, ...needed];
    // Apps wait for the addons (ingress class, storage class) and for the app that creates their namespace.
    const namespaceOwners = new Map<string, WebApp>();
    const appOf = (app: AppConfig, extra: pulumi.Resource[]) =>
      new WebApp(
        app.spec.name,
        {
          ...app.spec,
          ingress: app.spec.ingress && (args.edgeNodesRun ? app.spec.ingress : { ...app.spec.ingress, awaitAddress: false }),
          provider,
          secretEnv: secretValues(app.secretEnvKeys),
          secretFileValues: secretValues(app.secretFileKeys),
          registryCredential: app.registry && { ...app.registry, password: args.secretValue(app.registry.passwordKey) },
          nodePortRange: args.nodePortRange,
          clusterDomain: args.clusterDomain,
          nodeAddress: args.edgeVip,
        },
        { parent: this, dependsOn: [...dependsOn, ...extra] },
      );
    const apps = new Map<AppConfig, WebApp>();
    for (const app of args.apps.filter((a) => a.spec.createNamespace)) {
      const created = appOf(app, []);
      apps.set(app, created);
      namespaceOwners.set(app.spec.namespace ?? "default", created);
    }
    for (const app of args.apps.filter((a) => !a.spec.createNamespace)) {
      const owner = namespaceOwners.get(app.spec.namespace ?? "default");
      apps.set(app, appOf(app, owner ? [owner] : []));
    }
    this.addonComponents = installed;
    this.appUrls = pulumi.output(Object.fromEntries(args.apps.map((app) => [app.spec.name, apps.get(app)!.urls])));
    this.registerOutputs({ appUrls: this.appUrls });
  }
}
