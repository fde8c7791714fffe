/**
 * An HA Kubernetes control plane on SSH hosts: kube-apiserver, kube-controller-manager and kube-scheduler (leader
 * election) on every master, TLS everywhere, Secrets encrypted in etcd, audit log; a change rolls the masters one at a
 * time, each gated on its own /readyz, and a final gate checks the API through the address clients use (the VIP).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { API_SERVER_PORT, ArtifactSpec, HostSpec, NetworkPlan } from "../spec/cluster";
import { HostArtifact } from "./host-artifact";
import { hostStep } from "./host/connection";
import { rollingHostSteps } from "./host/rolling";
import { dependsOnList } from "./k8s-objects";
import {
  ControlPlaneSettings,
  MasterCerts,
  MasterKeys,
  MasterPki,
  renderControlPlaneMaster,
  renderControlPlaneMasterSecrets,
  renderControlPlaneReady,
  renderControlPlaneRemove,
  renderKubeconfig,
  kubectl,
  masterServer,
  SERVER_BINARIES,
  SERVER_RELEASE,
} from "./host/control-plane-scripts";
import { printedVersion } from "./host/kubernetes-version";
import { ENCRYPTION_PREPARE_SECRETS, encryptionKeyName, renderEncryptionConfig, renderEncryptionPrepare, renderSecretsRewrite } from "./host/encryption-scripts";
import { KubernetesPki } from "./cluster-pki";

export interface HaControlPlaneArgs {
  /** Names the cluster in kubeconfigs and the controller-manager. */
  readonly clusterName: string;
  /** The master hosts, in a fixed order (changes roll in this order). */
  readonly masters: readonly HostSpec[];
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The kubernetes-server release (.tar.gz with kube-apiserver, kube-controller-manager, kube-scheduler, kubectl). */
  readonly artifact: ArtifactSpec;
  /**
   * The release's version, such as v1.35.4 (versions.kubernetes): the install checks that `artifact` holds it, and each
   * master's step refuses a version that skips a minor or goes back one against the running apiservers.
   */
  readonly version: string;
  /** The address clients reach the API on, port 6443: the API VIP (or the only master's address). */
  readonly apiAddress: string;
  /** Resources that make `apiAddress` answer, such as its load balancer; the final gate waits for them. @default [] */
  readonly apiAddressDependsOn?: readonly pulumi.Resource[];
  /** The address plan: service and pod networks, node subnets, NodePort range, DNS domain. */
  readonly network: Pick<NetworkPlan, "serviceCidr" | "podCidr" | "nodeSubnetLength" | "nodePortRange" | "clusterDomain">;
  /** etcd's client endpoints (`https://ADDRESS:2379`) and CA certificate. */
  readonly etcd: { readonly endpoints: pulumi.Input<string[]>; readonly caCert: pulumi.Input<string> };
  /** The Kubernetes certificates (ClusterPki's `kubernetes`). */
  readonly pki: KubernetesPki;
  /** base64 of 32 random bytes that encrypt Secrets in etcd (a secret). */
  readonly secretsEncryptionKey: pulumi.Input<string>;
  /**
   * The key that encrypted Secrets before `secretsEncryptionKey`, during a rotation (a secret): every master first
   * learns to read the new key, then the masters roll to encrypt with it, then every Secret is rewritten; the old key
   * is still read until it is removed from the config. @default no rotation
   */
  readonly secretsEncryptionOldKey?: pulumi.Input<string>;
  /** Extra flags per daemon (name without --); they override onprem-k8s's own. A change rolls the masters. @default {} */
  readonly extraArgs?: {
    readonly apiServer?: Readonly<Record<string, string>>;
    readonly controllerManager?: Readonly<Record<string, string>>;
    readonly scheduler?: Readonly<Record<string, string>>;
  };
}

export class HaControlPlane extends pulumi.ComponentResource {
  /** `https://API_ADDRESS:6443`. */
  readonly apiServerUrl: pulumi.Output<string>;
  /** The cluster admin's kubeconfig, server `apiServerUrl` (a secret). */
  readonly adminKubeconfig: pulumi.Output<string>;
  /** The cluster CAs clients trust (PEM bundle). */
  readonly caCert: pulumi.Output<string>;
  /** Passes once every master is ready and the API answers through `apiAddress`; depend on it before using the cluster. */
  readonly ready: command.remote.Command;
  /** The Kubernetes release the masters run (`version`); the nodes' kubelets must not be newer. */
  readonly version: string;

  constructor(name: string, args: HaControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:HaControlPlane", name, {}, opts);
    this.version = args.version;
    const { masters, sshPrivateKey, pki } = args;
    if (masters.length === 0) throw new Error(`HaControlPlane ${name}: masters is empty; give one master, or three for high availability`);
    const server = `https://${args.apiAddress}:${API_SERVER_PORT}`;
    const extra = args.extraArgs ?? {};

    const masterCerts: pulumi.Output<MasterCerts> = pulumi.output({
      caCert: pki.caCert,
      caSignerCert: pki.caSignerCert,
      apiServerCert: pki.apiServer.cert,
      etcdCaCert: args.etcd.caCert,
      etcdClientCert: pki.etcdClient.cert,
      kubeletClientCert: pki.kubeletClient.cert,
      frontProxyCaCert: pki.frontProxyCaCert,
      frontProxyClientCert: pki.frontProxyClient.cert,
      serviceAccountPublicKey: pki.serviceAccount.publicKey,
      controllerManagerCert: pki.controllerManager.cert,
      schedulerCert: pki.scheduler.cert,
      adminCert: pki.admin.cert,
    });
    const masterKeys: pulumi.Output<MasterKeys> = pulumi.output({
      caKey: pki.caKey,
      apiServerKey: pki.apiServer.key,
      etcdClientKey: pki.etcdClient.key,
      kubeletClientKey: pki.kubeletClient.key,
      frontProxyClientKey: pki.frontProxyClient.key,
      serviceAccountKey: pki.serviceAccount.key,
      controllerManagerKey: pki.controllerManager.key,
      schedulerKey: pki.scheduler.key,
      adminKey: pki.admin.key,
    });
    const masterPki = pulumi.all([masterCerts, masterKeys]).apply(([certs, keys]): MasterPki => ({ ...certs, ...keys }));
    const settings = pulumi.output(args.etcd.endpoints).apply((etcdEndpoints): ControlPlaneSettings => ({
      clusterName: args.clusterName,
      etcdEndpoints,
      serviceCidr: args.network.serviceCidr,
      podCidr: args.network.podCidr,
      nodeSubnetLength: args.network.nodeSubnetLength,
      nodePortRange: args.network.nodePortRange,
      clusterDomain: args.network.clusterDomain,
      apiServerExtraArgs: extra.apiServer ?? {},
      controllerManagerExtraArgs: extra.controllerManager ?? {},
      schedulerExtraArgs: extra.scheduler ?? {},
      releaseSha256: args.artifact.sha256,
      version: args.version,
      masterAddresses: masters.map((m) => m.address),
    }));

    const encryptionKeys = pulumi.output(args.secretsEncryptionOldKey ? [args.secretsEncryptionKey, args.secretsEncryptionOldKey] : [args.secretsEncryptionKey]);
    // The names are digests of the keys, never the keys: the scripts show them, so a preview shows a rotation.
    const encryptionKeyNames = pulumi.unsecret(encryptionKeys.apply((keys) => keys.map(encryptionKeyName)));

    // A rotation first makes every master read the new key while it still encrypts with the old one.
    const prepared = args.secretsEncryptionOldKey
      ? rollingHostSteps(masters, sshPrivateKey, opts, (host) => ({
          name: `${name}-${host.name}-encryption-prepare`,
          script: encryptionKeyNames.apply(([newKeyName, oldKeyName]) =>
            renderEncryptionPrepare({ master: host.name, kubectl: kubectl(masterServer({ name: host.name, address: host.address })), oldKeyName, newKeyName }),
          ),
          options: {
            parent: this,
            secrets: encryptionKeys.apply(([newKey, oldKey]) => ({ [ENCRYPTION_PREPARE_SECRETS.encryptionConfig]: renderEncryptionConfig([oldKey, newKey]) })),
          },
        }))
      : [];
    const masterStepsOpts = { ...opts, dependsOn: [...dependsOnList(opts), ...prepared.slice(-1)] };

    // Each master's step waits for the previous one, the first for the component's own dependsOn (etcd's health gate):
    // a change restarts one master at a time, and each step only finishes once its apiserver answers /readyz and its
    // controller-manager and scheduler are healthy.
    const masterSteps = rollingHostSteps(masters, sshPrivateKey, masterStepsOpts, (host) => {
      const binaries = new HostArtifact(
        `${name}-${host.name}-kubernetes`,
        {
          host,
          sshPrivateKey,
          name: SERVER_RELEASE,
          artifact: args.artifact,
          binaries: SERVER_BINARIES,
          version: { binary: "kube-apiserver", expected: printedVersion(args.version), configKey: "versions.kubernetes" },
        },
        // Not before the component's dependencies (after the preflight). The daemons' units name the release's own
        // binaries, so the new release reaches a master only when its step restarts it.
        { parent: this, dependsOn: dependsOnList(opts) },
      );
      const master = { name: host.name, address: host.address };
      // The script carries the certificates only, so a preview shows its diff; the keys come on stdin.
      const masterScript = pulumi.all([masterCerts, settings, encryptionKeyNames]).apply(([p, s, names]) => renderControlPlaneMaster({ master, settings: s, pki: p, encryptionKeyNames: names }));
      const secrets = pulumi.all([masterPki, encryptionKeys]).apply(([p, keys]) => renderControlPlaneMasterSecrets({ master, clusterName: args.clusterName, pki: p, encryptionKeys: keys }));
      return {
        name: `${name}-${host.name}-master`,
        script: masterScript,
        dependsOn: [binaries.installed],
        options: { secrets, parent: this, deleteScript: renderControlPlaneRemove(host.name) },
      };
    });

    this.ready = hostStep(`${name}-ready`, masters[0], sshPrivateKey, renderControlPlaneReady({ server, masters: masters.map((m) => ({ name: m.name, address: m.address })) }), {
      parent: this,
      dependsOn: [...masterSteps, ...(args.apiAddressDependsOn ?? [])],
    });

    // Then every Secret is written again, encrypted with the new key, through the API's client address.
    if (args.secretsEncryptionOldKey) {
      hostStep(
        `${name}-encryption-rewrite`,
        masters[0],
        sshPrivateKey,
        encryptionKeyNames.apply(([newKeyName]) => renderSecretsRewrite({ kubectl: kubectl(server), newKeyName })),
        { parent: this, dependsOn: [this.ready] },
      );
    }

    this.apiServerUrl = pulumi.output(server);
    this.caCert = pki.caCert;
    this.adminKubeconfig = pulumi.secret(
      pulumi
        .all([pki.caCert, pki.admin.cert, pki.admin.key])
        .apply(([caCert, clientCert, clientKey]) => renderKubeconfig({ clusterName: args.clusterName, server, caCert, user: "admin", clientCert, clientKey })),
    );
    this.registerOutputs({ apiServerUrl: this.apiServerUrl, adminKubeconfig: this.adminKubeconfig, caCert: this.caCert });
  }
}
