// The trust phase's restart of in-cluster API clients, as text: the bundle it waits for and what it restarts.
import { createHash } from "crypto";
import { renderCaTrustRollout } from "../../../components/host/ca-trust-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const caBundle = "-----BEGIN CERTIFICATE-----\nMIIBold\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBnew\n-----END CERTIFICATE-----\n";
const script = renderCaTrustRollout({ kubectl: "kubectl --server https://172.31.250.101:6443", caBundle });

test("matches its golden file", () => expectGolden("host/ca-trust-rollout.sh", script));

test("is keyed by the bundle's digest, checks the masters wrote that bundle, and carries no certificate", () => {
  const digest = createHash("sha256").update(caBundle).digest("hex");
  expect(script).toContain(`== ${digest} ]]`);
  expect(script).toContain(`trust the CA bundle ${digest.slice(0, 16)}`);
  expect(script).not.toContain("BEGIN CERTIFICATE");
  const other = renderCaTrustRollout({ kubectl: "kubectl --server https://172.31.250.101:6443", caBundle: caBundle.replace("new", "newer") });
  expect(other).not.toBe(script);
});

test("restarts only workloads whose pods mount a service-account token, then waits for each", () => {
  expect(script).toContain("get deployments,daemonsets,statefulsets --all-namespaces");
  expect(script).toContain("[[ $automount == false ]] && continue");
  expect(script.indexOf("rollout restart")).toBeLessThan(script.indexOf("rollout status"));
  expect(script).toContain("--timeout=600s");
});

test("passes shellcheck", () => expect(shellcheckFailures({ "ca-trust-rollout.sh": script })).toEqual([]));
