// The etcd restore's host scripts as text: a golden file each, shellcheck, and what each must and must not do.
import {
  renderControlPlaneHold,
  renderControlPlaneResume,
  renderEtcdRestoreData,
  renderEtcdRestoreFetch,
  renderEtcdRestoreSource,
  renderEtcdRestoreStart,
  renderEtcdRestoreUploaded,
} from "../../../components/host/etcd-restore-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const peers = [
  { name: "lab1", address: "172.31.250.11" },
  { name: "lab2", address: "172.31.250.12" },
  { name: "lab3", address: "172.31.250.13" },
];
const id = "drill-1";
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyOfLab1";
const start = (index: number) => renderEtcdRestoreStart({ id, member: peers[index], index, memberCount: 3 });

const scripts: Record<string, string> = {
  "etcd-restore-source-newest.sh": renderEtcdRestoreSource({ id, member: "lab1", backupDirectory: "/var/backups/etcd" }),
  "etcd-restore-source-file.sh": renderEtcdRestoreSource({ id, member: "lab1", file: "/var/backups/etcd/drill.db", backupDirectory: "/var/backups/etcd" }),
  "etcd-restore-fetch.sh": renderEtcdRestoreFetch({ id, member: "lab2", source: { name: "lab1", address: "172.31.250.11", sshPort: 22, sshUser: "root", sshHostKey: hostKey } }),
  "etcd-restore-uploaded.sh": renderEtcdRestoreUploaded({ id, member: "lab2", sha256: "d".repeat(64), path: "./etcd.db" }),
  "etcd-restore-hold.sh": renderControlPlaneHold({ id, master: "lab1" }),
  "etcd-restore-data.sh": renderEtcdRestoreData({ id, member: peers[1], peers, clusterToken: "lab-etcd-0123456789ab-drill-1" }),
  "etcd-restore-start-first.sh": start(0),
  "etcd-restore-start-quorum.sh": start(1),
  "etcd-restore-resume.sh": renderControlPlaneResume({ id, master: peers[0] }),
};

describe("etcd restore scripts", () => {
  test.each(Object.keys(scripts))("%s matches its golden file", (name) => {
    expectGolden(`host/${name}`, scripts[name]);
  });

  test("pass shellcheck", () => {
    expect(shellcheckFailures(scripts)).toEqual([]);
  });

  test("the first member starts without a gate; from the one that makes a quorum on, each must be healthy", () => {
    expect(start(0)).not.toContain("endpoint health");
    expect(start(0)).toContain("1 of 3; 2 make a quorum");
    expect(start(1)).toContain("endpoint health");
    expect(start(2)).toContain("endpoint health");
    for (const i of [0, 1, 2]) expect(start(i)).toContain("systemctl start --no-block etcd\n");
  });

  test("every member restores with the whole cluster, the new token and its own peer URL", () => {
    const data = scripts["etcd-restore-data.sh"];
    expect(data).toContain("--name lab2 ");
    expect(data).toContain("--initial-cluster lab1=https://172.31.250.11:2380,lab2=https://172.31.250.12:2380,lab3=https://172.31.250.13:2380 ");
    expect(data).toContain("--initial-cluster-token lab-etcd-0123456789ab-drill-1 ");
    expect(data).toContain("--initial-advertise-peer-urls https://172.31.250.12:2380 ");
    // A step that ran is not run twice: a retry after a later failure leaves the restored data alone.
    expect(data.indexOf("/var/lib/etcd-restore/drill-1/restored ]]")).toBeLessThan(data.indexOf("systemctl stop"));
    // The timers stop before etcd, so nothing starts it again in the middle.
    expect(data).toContain("for unit in etcd-ensure.timer etcd-backup.timer etcd; do");
  });

  test("the fetch reads the SSH key from its secret stdin and trusts only the source's pinned host key", () => {
    const fetch = scripts["etcd-restore-fetch.sh"];
    expect(fetch).toContain('-i "$SECRETS/ssh.key"');
    expect(fetch).toContain("-o StrictHostKeyChecking=yes");
    expect(fetch).toContain(`echo '172.31.250.11 ${hostKey}' >"$SECRETS/known_hosts"`);
    expect(fetch).not.toContain("PRIVATE KEY");
  });

  test("the control plane stops before etcd goes back and starts only after, with its ensure timer", () => {
    expect(scripts["etcd-restore-hold.sh"]).toContain("systemctl stop kube-control-plane-ensure.timer\nsystemctl stop kube-scheduler kube-controller-manager kube-apiserver\n");
    expect(scripts["etcd-restore-resume.sh"]).toContain("systemctl start kube-apiserver kube-controller-manager kube-scheduler kube-control-plane-ensure.timer\n");
  });
});
