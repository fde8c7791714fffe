// Every host script as text: a golden file each, and shellcheck over all of them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderArtifactInstall, renderArtifactRemove } from "../../../components/host/artifact-script";
import { renderEtcdBackup, renderEtcdClusterHealth, renderEtcdMember, renderEtcdMemberRemove } from "../../../components/host/etcd-scripts";
import {
  HAPROXY_METRICS_PORT,
  KEEPALIVED_MASTER_METRIC,
  KEEPALIVED_DIR,
  KEEPALIVED_NOTIFY_SCRIPT,
  NODE_EXPORTER_PORT,
  NODE_EXPORTER_TEXTFILE_DIR,
  renderHaproxyBase,
  renderHaproxyConfig,
  renderKeepalivedBase,
  renderKeepalivedConfig,
  renderKeepalivedNotify,
  renderLbConfig,
  renderLbPackages,
  renderLbRemove,
  renderLbRemoveAll,
} from "../../../components/host/load-balancer-scripts";
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
  "artifact-version.sh": renderArtifactInstall({
    name: "kubernetes",
    sha256: "d".repeat(64),
    url: "http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz",
    binaries: ["kube-apiserver", "kubectl"],
    version: { binary: "kube-apiserver", expected: "Kubernetes v1.35.4", configKey: "versions.kubernetes" },
  }),
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
  "lb-keepalived-notify.sh": renderKeepalivedNotify(),
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

  test("a member step checks that the members that stay are a quorum of the running cluster before it changes a file", () => {
    const text = scripts["etcd-member.sh"];
    expect(text.indexOf("if ((kept < total / 2 + 1)); then")).toBeGreaterThan(0);
    expect(text.indexOf("if ((kept < total / 2 + 1)); then")).toBeLessThan(text.indexOf("put_file "));
    expect(text).toContain('wanted=" https://172.31.250.11:2380 https://172.31.250.12:2380 https://172.31.250.13:2380 "');
  });

  test("a member without data joins a running cluster: member add through the others, then initial-cluster-state existing", () => {
    const text = scripts["etcd-member.sh"];
    const join = text.slice(text.indexOf("# A cluster runs: this member joins it."));
    expect(join).toContain("--endpoints=https://172.31.250.12:2379,https://172.31.250.13:2379 ");
    expect(join).toContain("member add lab1 --peer-urls=https://172.31.250.11:2380");
    expect(join).toContain('-e "s|^initial-cluster-state: new$|initial-cluster-state: existing|"');
    expect(join.indexOf("member add")).toBeLessThan(join.indexOf("systemctl start --no-block etcd"));
    expect(join).toContain("retry 30 2 healthy");
  });

  test("a member the stack removes leaves the cluster before it stops; a reset only stops it", () => {
    const removed = renderEtcdMemberRemove("lab4", true);
    expect(removed.indexOf('member remove "$self_id"')).toBeGreaterThan(0);
    expect(removed.indexOf('member remove "$self_id"')).toBeLessThan(removed.indexOf("systemctl disable --now etcd-ensure.timer etcd"));
    expect(removed.indexOf("move-leader")).toBeLessThan(removed.indexOf('member remove "$self_id"'));
    expect(renderEtcdMemberRemove("this host")).not.toContain("member remove");
    expect(shellcheckFailures({ "etcd-member-leave.sh": removed })).toEqual([]);
  });

  test("keepalived tracks haproxy with systemctl, never pidof", () => {
    expect(renderKeepalivedBase("lab1")).toContain('script "/usr/bin/systemctl is-active --quiet haproxy"');
    expect(keepalived).toContain("chk_haproxy");
    expect(renderKeepalivedBase("lab1") + keepalived).not.toContain("pidof");
  });

  test("HAProxy serves its Prometheus exporter on every address, /metrics only, and no stats page", () => {
    const base = renderHaproxyBase();
    expect(HAPROXY_METRICS_PORT).toBe(8405);
    expect(base).toContain("frontend metrics\n    mode http\n    bind :8405\n");
    expect(base).toContain("    http-request use-service prometheus-exporter if { path /metrics }\n    http-request deny deny_status 404\n");
    expect(base).not.toMatch(/^\s*stats /m);
    expect(scripts["lb-packages-host-sources.sh"]).toContain(base);
  });

  test("every VRRP instance runs the notify script, as root under keepalived's script security", () => {
    expect(keepalived).toContain("    notify /etc/keepalived/onprem-notify.sh\n}\n");
    expect(renderKeepalivedBase("lab1")).toContain("    enable_script_security\n    script_user root\n");
    // keepalived refuses a script that anyone but root could change.
    expect(scripts["lb-packages-host-sources.sh"]).toContain(`put_file ${KEEPALIVED_NOTIFY_SCRIPT} 0755 <<'ONPREM_K8S_EOF'\n${renderKeepalivedNotify()}ONPREM_K8S_EOF`);
  });

  test("the load balancers' hosts get Debian's node-exporter, without what it only recommends, started by the config step", () => {
    expect(NODE_EXPORTER_PORT).toBe(9100);
    for (const name of ["lb-packages-host-sources.sh", "lb-packages-apt-source.sh"]) {
      expect(scripts[name]).toContain("if ! dpkg -s haproxy keepalived prometheus-node-exporter >/dev/null 2>&1; then");
      expect(scripts[name]).toContain("install -y -qq --no-install-recommends haproxy keepalived prometheus-node-exporter >/dev/null");
    }
    const config = scripts["lb-config.sh"];
    expect(config).toContain("systemctl enable --quiet haproxy keepalived prometheus-node-exporter\n");
    expect(config).toContain("systemctl start prometheus-node-exporter || echo");
    // keepalived reports no state at a reload: the first reading comes from whether the host holds the VIP.
    expect(config).toContain(`== *" 172.31.250.100/"* ]]; then vrrp_state=MASTER; else vrrp_state=BACKUP; fi\nONPREM_IF_ABSENT=1 ${KEEPALIVED_NOTIFY_SCRIPT} INSTANCE etcd "$vrrp_state"\n`);
  });

  test("removal takes the instance's metrics file; the last load balancer takes node-exporter and the notify script along", () => {
    expect(scripts["lb-remove.sh"]).toContain(`${NODE_EXPORTER_TEXTFILE_DIR}/keepalived-etcd.prom\n`);
    for (const text of [scripts["lb-remove.sh"], renderLbRemoveAll()]) {
      expect(text).toContain("systemctl disable --now keepalived haproxy prometheus-node-exporter 2>/dev/null || true");
      expect(text).toContain(`rm -f ${KEEPALIVED_NOTIFY_SCRIPT} ${KEEPALIVED_NOTIFY_SCRIPT}.bak ${NODE_EXPORTER_TEXTFILE_DIR}/keepalived-*.prom\n`);
    }
  });

  describe("the notify script, run for real in a scratch directory", () => {
    let dir: string;
    let conf: string;
    let metrics: string;
    const notify = (args: string[], env: Record<string, string> = {}) => {
      const text = renderKeepalivedNotify().replaceAll(KEEPALIVED_DIR, conf).replaceAll(NODE_EXPORTER_TEXTFILE_DIR, metrics);
      const result = spawnSync("bash", ["-s", ...args], { input: text, encoding: "utf8", env: { ...process.env, ...env } });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    };
    const prom = (instance: string) => path.join(metrics, `keepalived-${instance}.prom`);
    const expected = (value: number) => `# HELP ${KEEPALIVED_MASTER_METRIC} 1 when this host holds the VRRP instance's VIP.
# TYPE ${KEEPALIVED_MASTER_METRIC} gauge
${KEEPALIVED_MASTER_METRIC}{vrrp_instance="etcd"} ${value}
`;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-notify-"));
      conf = path.join(dir, "conf.d");
      metrics = path.join(dir, "textfile");
      fs.mkdirSync(conf);
      fs.writeFileSync(path.join(conf, "etcd.conf"), "vrrp_instance etcd {}\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("1 for MASTER, 0 for BACKUP, FAULT and STOP, world-readable, no temporary file left", () => {
      notify(["INSTANCE", "etcd", "MASTER", "150"]);
      expect(fs.readFileSync(prom("etcd"), "utf8")).toBe(expected(1));
      expect(fs.statSync(prom("etcd")).mode & 0o777).toBe(0o644);
      for (const state of ["BACKUP", "FAULT", "STOP"]) {
        notify(["INSTANCE", "etcd", state, "150"]);
        expect(fs.readFileSync(prom("etcd"), "utf8")).toBe(expected(0));
      }
      expect(fs.readdirSync(metrics)).toEqual(["keepalived-etcd.prom"]);
    });

    test("the config step's first reading never overwrites what keepalived reported", () => {
      notify(["INSTANCE", "etcd", "BACKUP"], { ONPREM_IF_ABSENT: "1" });
      expect(fs.readFileSync(prom("etcd"), "utf8")).toBe(expected(0));
      notify(["INSTANCE", "etcd", "MASTER", "150"]);
      notify(["INSTANCE", "etcd", "BACKUP"], { ONPREM_IF_ABSENT: "1" });
      expect(fs.readFileSync(prom("etcd"), "utf8")).toBe(expected(1));
      expect(fs.readdirSync(metrics)).toEqual(["keepalived-etcd.prom"]);
    });

    test("a removed instance loses its file; groups and odd names are left alone", () => {
      notify(["INSTANCE", "etcd", "MASTER", "150"]);
      notify(["GROUP", "etcd", "BACKUP", "0"]);
      notify(["INSTANCE", "../etcd", "BACKUP", "0"]);
      expect(fs.readFileSync(prom("etcd"), "utf8")).toBe(expected(1));
      fs.rmSync(path.join(conf, "etcd.conf"));
      notify(["INSTANCE", "etcd", "FAULT", "150"]);
      expect(fs.readdirSync(metrics)).toEqual([]);
    });
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
