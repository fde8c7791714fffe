// Secret files: a step's secrets travel on its stdin, never in its script. The script's READ_SECRETS section and
// put_file are run for real with bash: each secret lands in its file byte for byte, as a heredoc would have put it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { READ_SECRETS, putFiles, script, secretFile, secretStdin } from "../../../components/host/bash";
import { shellcheckFailures } from "./shellcheck";

const key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBs3cr3t\n\nline after an empty one\n-----END EC PRIVATE KEY-----\n";
const password = "s3cr3t"; // no trailing newline: one is added, as a heredoc adds one

describe("secret files", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-test-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stepScript = (d: string) =>
    script(
      "secrets test",
      READ_SECRETS,
      `${putFiles([
        [`${d}/server.key`, "0600", secretFile("server.key")],
        [`${d}/plain.txt`, "0644", "not a secret"],
      ])}
echo "password=$(<"$SECRETS/vrrp-password")"
echo "dir=$SECRETS"`,
    );

  test("the stdin names each secret and ends each value in a newline", () => {
    expect(secretStdin({ "server.key": key, "vrrp-password": password })).toBe(`@@secret server.key\n${key}@@secret vrrp-password\n${password}\n`);
    expect(() => secretStdin({ "Bad Name": "x" })).toThrow('secret name "Bad Name" must be lower-case letters, digits');
    expect(() => secretStdin({ x: "@@secret y\n" })).toThrow('secret x may not contain a line starting "@@secret "');
  });

  test("the script keeps no secret and passes shellcheck", () => {
    const text = stepScript("/etc/test");
    expect(text).not.toContain("MHcCAQEEIBs3cr3t");
    expect(shellcheckFailures({ "secrets.sh": text })).toEqual([]);
  });

  test("bash puts each secret in its file, byte for byte, readable by root only, and removes the copies after", () => {
    const run = spawnSync("bash", ["-c", stepScript(dir)], { input: secretStdin({ "server.key": key, "vrrp-password": password }), encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "server.key"), "utf8")).toBe(key);
    expect(fs.statSync(path.join(dir, "server.key")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, "plain.txt"), "utf8")).toBe("not a secret\n");
    expect(run.stdout).toContain(`password=${password}\n`);
    const secretsDir = /dir=(.*)/.exec(run.stdout)![1];
    expect(secretsDir).toMatch(/^\/run\/onprem-k8s-secrets\./);
    expect(fs.existsSync(secretsDir)).toBe(false);
  });
});
