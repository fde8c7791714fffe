/** The cluster's certificate authorities and certificates, made with @pulumi/tls; private keys are secrets. */
import type { CaRotationPhase } from "../spec/cluster";
import type { IssuedCertificate } from "../spec/monitoring";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface PkiMember {
  /** Host name; the certificate's common name and a DNS SAN. */
  readonly name: string;
  /** Host address; an IP SAN. */
  readonly address: string;
}

export interface ClusterPkiArgs {
  /** Prefix of the CAs' common names. */
  readonly clusterName: string;
  /** Validity of every certificate, in days. */
  readonly validityDays: number;
  /** Preview and up warn when a certificate expires within this many days. @default 30 */
  readonly expiryWarningDays?: number;
  /** etcd members: each gets a server and a peer certificate. */
  readonly etcdMembers: readonly PkiMember[];
  /** Extra IP SANs for every etcd server certificate, such as a VIP that fronts the client port. @default [] */
  readonly etcdServerExtraIps?: readonly string[];
  /** The Kubernetes CAs and certificates, for a stack with its own control plane. @default none */
  readonly kubernetes?: KubernetesPkiArgs;
  /** The site registry's CA and the serving certificate its hosts share. @default none */
  readonly registry?: RegistryPkiArgs;
  /** Issue a client certificate for the monitoring addon's etcd scrape. @default false */
  readonly etcdMonitoringClient?: boolean;
  /** The generation of the etcd, Kubernetes and front-proxy CAs (pki.caGeneration); each has its own CA resources. @default 0 */
  readonly caGeneration?: number;
  /**
   * While set, the previous generation's CAs exist too and every trust bundle holds both: at `trust` the previous
   * generation still signs, at `issue` the new one signs (pki.caRotation). @default none
   */
  readonly caRotation?: CaRotationPhase;
}

export interface RegistryPkiArgs {
  /** The registry hosts: every name and address is a SAN. */
  readonly hosts: readonly PkiMember[];
  /** More IP SANs: the VIP clients pull from. @default [] */
  readonly extraIps?: readonly string[];
}

export interface KubernetesPkiArgs {
  /** The masters: every address and name is a SAN of the apiserver certificate. */
  readonly masters: readonly PkiMember[];
  /** More IP SANs of the apiserver certificate: the API VIP. @default [] */
  readonly apiServerExtraIps?: readonly string[];
  /** The first address of the service network, the ClusterIP of the `kubernetes` Service (e.g. 10.96.0.1). */
  readonly serviceIp: string;
  /** The cluster DNS domain, for the `kubernetes.default.svc.DOMAIN` SAN. */
  readonly clusterDomain: string;
  /** More client certificates of the Kubernetes CA: name to common name (the user RBAC binds), no group. @default {} */
  readonly clients?: Readonly<Record<string, string>>;
  /**
   * Real worker and edge nodes: each gets a kubelet client and serving certificate, and with any node there is one
   * kube-proxy client certificate. @default []
   */
  readonly nodes?: readonly PkiMember[];
}

/** A real node's kubelet certificates. */
export interface NodeCerts {
  /** CN system:node:NAME, O system:nodes: the node authorizer's and NodeRestriction's view of this kubelet. */
  readonly client: CertKeyPair;
  /** The kubelet's serving certificate; SANs: the node's name and address. */
  readonly serving: CertKeyPair;
}

/** A certificate and its private key (the key is a secret). */
export interface CertKeyPair {
  readonly cert: pulumi.Output<string>;
  readonly key: pulumi.Output<string>;
}

/** The Kubernetes side of the PKI; private keys are secrets. */
export interface KubernetesPki {
  /** The cluster CAs every client and server trusts (PEM bundle: the signing CA first, during a rotation the other). */
  readonly caCert: pulumi.Output<string>;
  /** The cluster CA that signs: clients, the apiserver's serving certificate, and what the controller-manager signs. */
  readonly caSignerCert: pulumi.Output<string>;
  /** caSignerCert's private key. */
  readonly caKey: pulumi.Output<string>;
  /** The apiserver's serving certificate, shared by every master. */
  readonly apiServer: CertKeyPair;
  /** The apiserver's client certificate for etcd, signed by the etcd CA. */
  readonly etcdClient: CertKeyPair;
  /** The apiserver's client certificate for kubelets. */
  readonly kubeletClient: CertKeyPair;
  /** The front-proxy (aggregation layer) CAs the apiservers trust (bundle, as caCert) and the apiserver's client certificate. */
  readonly frontProxyCaCert: pulumi.Output<string>;
  readonly frontProxyClient: CertKeyPair;
  /** The key pair that signs and checks service-account tokens (RSA; PEM private key and PKIX public key). */
  readonly serviceAccount: { readonly key: pulumi.Output<string>; readonly publicKey: pulumi.Output<string> };
  /** CN system:kube-controller-manager. */
  readonly controllerManager: CertKeyPair;
  /** CN system:kube-scheduler. */
  readonly scheduler: CertKeyPair;
  /** Cluster admin: O=system:masters. */
  readonly admin: CertKeyPair;
  /** The extra client certificates, by name. */
  readonly clients: Readonly<Record<string, CertKeyPair>>;
  /** The kubelet certificates of the real nodes, by node name. */
  readonly nodes: Readonly<Record<string, NodeCerts>>;
  /** CN system:kube-proxy (bound to system:node-proxier by default); only when there are real nodes. */
  readonly kubeProxy?: CertKeyPair;
}

const HOURS_PER_DAY = 24;

/** A CA's certificate and key, and the bundle of the CAs trusted with it. */
interface RotatedCa {
  /** The CA that signs. */
  readonly signer: CertKeyPair;
  /** PEM bundle: the signer, then during a rotation the other generation's CA. */
  readonly trusted: pulumi.Output<string>;
}

export class ClusterPki extends pulumi.ComponentResource {
  /** The etcd CAs every member and client trusts (PEM bundle: the signing CA first, during a rotation the other). */
  readonly etcdCaCert: pulumi.Output<string>;
  /** Per etcd member: server and peer certificates. */
  readonly etcdMembers: Record<string, { server: CertKeyPair; peer: CertKeyPair }>;
  /** A client certificate for etcd (etcdctl). */
  readonly etcdClient: CertKeyPair;
  /** The Kubernetes certificates, when `kubernetes` was given. */
  readonly kubernetes?: KubernetesPki;
  /** The registry's CA certificate and serving certificate, when `registry` was given. */
  readonly registry?: { readonly caCert: pulumi.Output<string>; readonly server: CertKeyPair };
  /** The monitoring addon's etcd client certificate, when `etcdMonitoringClient` was set. */
  readonly etcdMonitoring?: CertKeyPair;
  /** Every certificate issued here (the CAs too) and when it expires, for the monitoring addon's expiry alert. */
  readonly certificates: pulumi.Output<IssuedCertificate[]>;

  private readonly args: ClusterPkiArgs;
  private readonly expiries: pulumi.Output<IssuedCertificate>[] = [];

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:ClusterPki", name, {}, opts);
    this.args = args;
    const etcdCas = this.rotatedCa(`${name}-etcd-ca`, `${args.clusterName}-etcd-ca`);
    const etcdCa = etcdCas.signer;
    this.etcdCaCert = etcdCas.trusted;
    this.etcdMembers = Object.fromEntries(
      args.etcdMembers.map((m) => [
        m.name,
        {
          server: this.signed(`${name}-etcd-server-${m.name}`, etcdCa, m.name, ["server_auth", "client_auth"], [m.name, "localhost"], [m.address, "127.0.0.1", ...(args.etcdServerExtraIps ?? [])]),
          peer: this.signed(`${name}-etcd-peer-${m.name}`, etcdCa, m.name, ["server_auth", "client_auth"], [m.name], [m.address]),
        },
      ]),
    );
    this.etcdClient = this.signed(`${name}-etcd-client`, etcdCa, `${args.clusterName}-etcd-client`, ["client_auth"], [], []);
    // etcd grants every client of its CA everything: this certificate is as sensitive as the etcdctl one.
    if (args.etcdMonitoringClient) this.etcdMonitoring = this.signed(`${name}-etcd-monitoring`, etcdCa, `${args.clusterName}-etcd-monitoring`, ["client_auth"], [], []);
    if (args.kubernetes) this.kubernetes = this.kubernetesPki(name, args.kubernetes, etcdCa);
    if (args.registry) {
      // A CA of its own: a node that trusts the registry trusts nothing else of the cluster's.
      const ca = this.ca(`${name}-registry-ca`, `${args.clusterName}-registry-ca`);
      const { hosts, extraIps = [] } = args.registry;
      const names = ["localhost", ...hosts.map((h) => h.name)];
      const ips = [...new Set([...extraIps, ...hosts.map((h) => h.address), "127.0.0.1"])];
      this.registry = { caCert: ca.cert, server: this.signed(`${name}-registry-server`, ca, "onprem-registry", ["server_auth"], names, ips) };
    }
    this.certificates = pulumi.all(this.expiries);
    this.registerOutputs({ etcdCaCert: this.etcdCaCert, kubernetesCaCert: this.kubernetes?.caCert, registryCaCert: this.registry?.caCert });
  }

  private kubernetesPki(name: string, k: KubernetesPkiArgs, etcdCa: CertKeyPair): KubernetesPki {
    const cas = this.rotatedCa(`${name}-kube-ca`, `${this.args.clusterName}-kubernetes-ca`);
    const ca = cas.signer;
    const frontProxyCas = this.rotatedCa(`${name}-front-proxy-ca`, `${this.args.clusterName}-front-proxy-ca`);
    const frontProxyCa = frontProxyCas.signer;
    const domain = k.clusterDomain;
    const apiServerNames = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${domain}`, "localhost", ...k.masters.map((m) => m.name)];
    const apiServerIps = [...new Set([...(k.apiServerExtraIps ?? []), ...k.masters.map((m) => m.address), "127.0.0.1", k.serviceIp])];
    const client = (suffix: string, commonName: string, organization: string | null = null) => this.signed(`${name}-${suffix}`, ca, commonName, ["client_auth"], [], [], organization);
    const nodes = k.nodes ?? [];
    // RSA, as every consumer of service-account tokens (OIDC discovery included) accepts it.
    const saKey = new tls.PrivateKey(`${name}-service-account-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    return {
      caCert: cas.trusted,
      caSignerCert: ca.cert,
      caKey: pulumi.secret(ca.key),
      apiServer: this.signed(`${name}-apiserver`, ca, "kube-apiserver", ["server_auth"], apiServerNames, apiServerIps, null),
      etcdClient: this.signed(`${name}-apiserver-etcd-client`, etcdCa, "kube-apiserver-etcd-client", ["client_auth"], [], [], null),
      kubeletClient: client("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters"),
      frontProxyCaCert: frontProxyCas.trusted,
      frontProxyClient: this.signed(`${name}-front-proxy-client`, frontProxyCa, "front-proxy-client", ["client_auth"], [], [], null),
      serviceAccount: { key: pulumi.secret(saKey.privateKeyPem), publicKey: saKey.publicKeyPem },
      controllerManager: client("controller-manager", "system:kube-controller-manager"),
      scheduler: client("scheduler", "system:kube-scheduler"),
      admin: client("admin", "kubernetes-admin", "system:masters"),
      clients: Object.fromEntries(Object.entries(k.clients ?? {}).map(([id, commonName]) => [id, client(`client-${id}`, commonName)])),
      nodes: Object.fromEntries(
        nodes.map((n) => [
          n.name,
          {
            client: client(`kubelet-client-${n.name}`, `system:node:${n.name}`, "system:nodes"),
            serving: this.signed(`${name}-kubelet-serving-${n.name}`, ca, `system:node:${n.name}`, ["server_auth"], [n.name], [n.address], "system:nodes"),
          },
        ]),
      ),
      kubeProxy: nodes.length > 0 ? client("kube-proxy", "system:kube-proxy") : undefined,
    };
  }

  private key(name: string): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
  }

  /**
   * A CA of generation pki.caGeneration; generation 0 keeps the names of the CAs made before rotations existed. During a
   * rotation the previous generation's CA exists too: it signs at `trust`, the new one at `issue`, and both are trusted.
   */
  private rotatedCa(name: string, commonName: string): RotatedCa {
    const generation = this.args.caGeneration ?? 0;
    const named = (g: number): [string, string] => (g === 0 ? [name, commonName] : [`${name}-gen${g}`, `${commonName}-gen${g}`]);
    const current = this.ca(...named(generation));
    if (this.args.caRotation === undefined) return { signer: current, trusted: current.cert };
    const previous = this.ca(...named(generation - 1));
    const [signer, other] = this.args.caRotation === "trust" ? [previous, current] : [current, previous];
    return { signer, trusted: pulumi.all([signer.cert, other.cert]).apply(([a, b]) => `${a.trimEnd()}\n${b.trimEnd()}\n`) };
  }

  private ca(name: string, commonName: string): { cert: pulumi.Output<string>; key: pulumi.Output<string> } {
    const key = this.key(`${name}-key`);
    const cert = new tls.SelfSignedCert(
      name,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName, organization: "onprem-k8s" },
        isCaCertificate: true,
        validityPeriodHours: this.args.validityDays * HOURS_PER_DAY,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
      },
      { parent: this },
    );
    this.warnOnExpiry(name, cert.validityEndTime);
    return { cert: cert.certPem, key: key.privateKeyPem };
  }

  /** A certificate of `ca`; Kubernetes reads the organization as the client's group, so its certificates name theirs. */
  private signed(name: string, ca: CertKeyPair, commonName: string, uses: string[], dnsNames: string[], ipAddresses: string[], organization: string | null = "onprem-k8s"): CertKeyPair {
    const key = this.key(`${name}-key`);
    const subject = organization === null ? { commonName } : { commonName, organization };
    const request = new tls.CertRequest(`${name}-csr`, { privateKeyPem: key.privateKeyPem, subject, dnsNames, ipAddresses }, { parent: this });
    const cert = new tls.LocallySignedCert(
      name,
      {
        certRequestPem: request.certRequestPem,
        caCertPem: ca.cert,
        caPrivateKeyPem: ca.key,
        validityPeriodHours: this.args.validityDays * HOURS_PER_DAY,
        // Inside the warning window the next up re-issues the certificate, and the members roll.
        earlyRenewalHours: this.warningDays * HOURS_PER_DAY,
        allowedUses: ["digital_signature", "key_encipherment", ...uses],
      },
      { parent: this },
    );
    this.warnOnExpiry(name, cert.validityEndTime);
    return { cert: cert.certPem, key: key.privateKeyPem };
  }

  private get warningDays(): number {
    return this.args.expiryWarningDays ?? 30;
  }

  private warnOnExpiry(name: string, validityEndTime: pulumi.Output<string>): void {
    this.expiries.push(validityEndTime.apply((notAfter) => ({ name, notAfter })));
    validityEndTime.apply((end) => {
      const daysLeft = (Date.parse(end) - Date.now()) / 86_400_000;
      if (end && daysLeft < this.warningDays) {
        pulumi.log.warn(
          `certificate ${name} expires ${end}, in ${Math.max(0, Math.floor(daysLeft))} days (pki.expiryWarningDays is ${this.warningDays}); the next \`pulumi up\` re-issues leaf certificates, a CA needs \`pulumi up --replace\``,
          this,
        );
      }
    });
  }
}
