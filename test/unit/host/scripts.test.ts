// Every host script as text: a golden file each, and shellcheck over all of them.
import { renderArtifactInstall, renderArtifactRemove } from "../../../components/host/artifact-script";
import { renderEtcdBackup, renderEtcdClusterHealth, renderEtcdMember } from "../../../components/host/etcd-scripts";
import { renderHaproxyConfig, renderKeepalivedBase, renderKeepalivedConfig, renderLbConfig, renderLbPackages, renderLbRemove } from "../../../components/host/load-balancer-scripts";
import { heredoc, shellQuote } from "../../../components/host/bash";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const peers = [
  { name: "lab1", address: "172.31.250.11" },
  { name: "lab2", address: "172.31.250.12" },
  { name: "lab3", address: "172.31.250.13" },
];
const pem = (what: string) => `-----BEGIN ${what}-----\nMIIBfake${what.replace(/ /g, "")}\n-----END ${what}-----\n`;
const settings = { heartbeatIntervalMs: 100, electionTimeoutMs: 1000, snapshotCount: 10000, quotaBackendBytes: 2147483648 };
const haproxy = renderHaproxyConfig({ name: "etcd", vip: "172.31.250.100", ports: [2379], backends: peers });
const keepalived = renderKeepalivedConfig({ name: "etcd", vip: "172.31.250.100", prefix: 24, virtualRouterId: 71, priority: 150, self: peers[0], peers: peers.slice(1), failback: "never" });

const releaseSha256 = "a".repeat(64);
const scripts: Record<string, string> = {
  "artifact-url.sh": renderArtifactInstall({ name: "etcd", sha256: "a".repeat(64), url: "http://172.31.250.1:8080/artifacts/etcd.tar.gz", binaries: ["etcd", "etcdctl"] }),
  "artifact-upload.sh": renderArtifactInstall({ name: "etcd", sha256: "b".repeat(64), binaries: ["etcd", "etcdctl"] }),
  "artifact-remove.sh": renderArtifactRemove({ name: "cniPlugins", sha256: "c".repeat(64), binaries: ["bridge", "loopback"], binDir: "/opt/cni/bin" }),
  "etcd-member.sh": renderEtcdMember({
    clusterToken: "lab-etcd",
    member: peers[0],
    peers,
    settings,
    pki: { caCert: pem("CERTIFICATE"), serverCert: pem("CERTIFICATE"), peerCert: pem("CERTIFICATE") },
    releaseSha256,
  }),
  "etcd-cluster-health.sh": renderEtcdClusterHealth(peers),
  "etcd-backup.sh": renderEtcdBackup({ intervalMinutes: 60, retention: 24, directory: "/var/backups/etcd" }),
  "lb-packages-apt-source.sh": renderLbPackages("deb [trusted=yes] http://172.31.250.1:8080/apt ./", "lab1"),
  "lb-packages-host-sources.sh": renderLbPackages(undefined, "lab1"),
  "lb-config.sh": renderLbConfig({ name: "etcd", haproxy, keepalived, address: "172.31.250.11" }),
  "lb-remove.sh": renderLbRemove("etcd"),
};

describe("host scripts", () => {
  test.each([
    ["never", /\n {4}nopreempt\n/],
    ["immediate", /priority 150\n {4}advert_int 1\n/],
    [30, /\n {4}preempt_delay 30\n/],
  ] as const)("keepalived's preemption for failback %s", (failback, expected) => {
    const rendered = renderKeepalivedConfig({ name: "api", vip: "172.31.250.101", prefix: 24, virtualRouterId: 72, priority: 150, self: peers[0], peers: peers.slice(1), failback });
    expect(rendered).toMatch(expected);
    expect(rendered).toContain("state BACKUP");
    expect((rendered.match(/preempt/g) ?? []).length).toBe(failback === "immediate" ? 0 : 1);
  });

  test.each(Object.keys(scripts))("%s matches its golden file", (name) => {
    expectGolden(`host/${name}`, scripts[name]);
  });

  test("pass shellcheck", () => {
    expect(shellcheckFailures(scripts)).toEqual([]);
  });

  test("etcd member config lists every peer in the same order on every member", () => {
    const initialCluster = (member: (typeof peers)[number]) =>
      /initial-cluster: (.*)/.exec(renderEtcdMember({ clusterToken: "t", member, peers, settings, pki: { caCert: "", serverCert: "", peerCert: "" }, releaseSha256 }))![1];
    expect(new Set(peers.map(initialCluster))).toEqual(new Set(["lab1=https://172.31.250.11:2380,lab2=https://172.31.250.12:2380,lab3=https://172.31.250.13:2380"]));
  });

  test("a changed etcd setting changes the member script, and nothing else does", () => {
    const render = (heartbeatIntervalMs: number) =>
      renderEtcdMember({ clusterToken: "t", member: peers[1], peers, settings: { ...settings, heartbeatIntervalMs }, pki: { caCert: "c", serverCert: "s", peerCert: "p" }, releaseSha256 });
    expect(render(100)).toBe(render(100));
    expect(render(150)).not.toBe(render(100));
    expect(render(150)).toContain("heartbeat-interval: 150");
  });

  test("keepalived tracks haproxy with systemctl, never pidof", () => {
    expect(renderKeepalivedBase("lab1")).toContain('script "/usr/bin/systemctl is-active --quiet haproxy"');
    expect(keepalived).toContain("chk_haproxy");
    expect(renderKeepalivedBase("lab1") + keepalived).not.toContain("pidof");
  });

  test("heredoc refuses content that would end it early", () => {
    expect(() => heredoc("cat", "a\nONPREM_K8S_EOF\nb")).toThrow('content may not contain a line "ONPREM_K8S_EOF"');
  });

  test("shellQuote keeps plain words and quotes the rest", () => {
    expect(shellQuote("http://x/y.tar.gz")).toBe("http://x/y.tar.gz");
    expect(shellQuote("deb [trusted=yes] http://x ./")).toBe("'deb [trusted=yes] http://x ./'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
