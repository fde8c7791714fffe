// The reset and the preflight as text: golden files, shellcheck, and the reset's checked-in copy that
// scripts/reset.sh sends to the hosts (UPDATE_GOLDEN=1 rewrites it with the golden files).
import * as fs from "fs";
import * as path from "path";
import { renderHostReset } from "../../../components/host/reset-script";
import { renderPreflight } from "../../../components/host/preflight-script";
import { renderEtcdMemberRemove } from "../../../components/host/etcd-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const HOST_RESET = path.resolve(__dirname, "../../../scripts/host-reset.sh");
const etcdCa = "-----BEGIN CERTIFICATE-----\nMIIBetcdCA\n-----END CERTIFICATE-----\n";
const kubernetesCa = "-----BEGIN CERTIFICATE-----\nMIIBkubeCA\n-----END CERTIFICATE-----\n";

const scripts: Record<string, string> = {
  "preflight-master.sh": renderPreflight({ host: { name: "lab1", address: "172.31.250.11" }, stack: "lab", etcdCaCert: etcdCa, kubernetesCaCert: kubernetesCa }),
  "preflight-etcd.sh": renderPreflight({ host: { name: "lab4", address: "172.31.250.14" }, stack: "prod", etcdCaCert: etcdCa }),
  "etcd-member-remove.sh": renderEtcdMemberRemove("lab1"),
};

describe("reset and preflight", () => {
  test.each(Object.keys(scripts))("%s matches its golden file", (name) => {
    expectGolden(`host/${name}`, scripts[name]);
  });

  test("pass shellcheck", () => {
    expect(shellcheckFailures({ ...scripts, "reset.sh": renderHostReset() })).toEqual([]);
  });

  test("scripts/host-reset.sh, which scripts/reset.sh runs on the hosts, is the rendered reset", () => {
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(HOST_RESET, renderHostReset(), { mode: 0o644 });
    expect(fs.readFileSync(HOST_RESET, "utf8")).toBe(renderHostReset());
  });

  test("the reset runs every remove script the steps run on delete, and keeps the etcd snapshots", () => {
    const text = renderHostReset();
    for (const step of [
      "remove kwok on this host",
      "remove registry mirrors this host",
      "remove node this host",
      "remove control plane this host",
      "remove etcd member this host",
      "remove every load balancer",
      "remove registry this host",
    ]) {
      expect(text).toContain(`STEP='${step}'`);
    }
    expect(text).not.toContain("/var/backups/etcd");
    expect(text).toContain("-lname '/opt/onprem-k8s/*' -delete");
  });

  test("the preflight compares each CA with the stack's and names the fix", () => {
    const text = scripts["preflight-master.sh"];
    expect(text).toContain("MIIBetcdCA");
    expect(text).toContain("MIIBkubeCA");
    expect(text).toContain("wipe it with 'bash scripts/reset.sh --stack lab --yes'");
    expect(scripts["preflight-etcd.sh"]).not.toContain("/etc/kubernetes");
    expect(scripts["preflight-etcd.sh"]).toContain("--stack prod --yes");
  });
});
