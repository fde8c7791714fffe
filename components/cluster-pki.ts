/** The cluster's certificate authorities and certificates, made with @pulumi/tls; private keys are secrets. */
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
}

/** A certificate and its private key (the key is a secret). */
export interface CertKeyPair {
  readonly cert: pulumi.Output<string>;
  readonly key: pulumi.Output<string>;
}

const HOURS_PER_DAY = 24;

export class ClusterPki extends pulumi.ComponentResource {
  /** The etcd CA certificate (PEM). */
  readonly etcdCaCert: pulumi.Output<string>;
  /** Per etcd member: server and peer certificates. */
  readonly etcdMembers: Record<string, { server: CertKeyPair; peer: CertKeyPair }>;
  /** A client certificate for etcd (etcdctl, kube-apiserver). */
  readonly etcdClient: CertKeyPair;

  private readonly args: ClusterPkiArgs;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:ClusterPki", name, {}, opts);
    this.args = args;
    const etcdCa = this.ca(`${name}-etcd-ca`, `${args.clusterName}-etcd-ca`);
    this.etcdCaCert = etcdCa.cert;
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
    this.registerOutputs({ etcdCaCert: this.etcdCaCert });
  }

  private key(name: string): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
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

  private signed(name: string, ca: CertKeyPair, commonName: string, uses: string[], dnsNames: string[], ipAddresses: string[]): CertKeyPair {
    const key = this.key(`${name}-key`);
    const request = new tls.CertRequest(`${name}-csr`, { privateKeyPem: key.privateKeyPem, subject: { commonName, organization: "onprem-k8s" }, dnsNames, ipAddresses }, { parent: this });
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
    validityEndTime.apply((end) => {
      const daysLeft = (Date.parse(end) - Date.now()) / 86_400_000;
      if (end && daysLeft < this.warningDays) {
        pulumi.log.warn(`certificate ${name} expires ${end}, in ${Math.max(0, Math.floor(daysLeft))} days (pki.expiryWarningDays is ${this.warningDays}); the next \`pulumi up\` re-issues leaf certificates, a CA needs \`pulumi up --replace\``, this);
      }
    });
  }
}
