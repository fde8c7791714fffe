/** Hosts for tests: a simulated worker, and well-formed host keys of no machine. */
import { createHash } from "crypto";
import { HostSpec } from "../../spec/cluster";

/** A simulated worker (no SSH step reaches it); FIELDS set what the test is about. */
export function simulatedHost(name: string, fields: Partial<HostSpec> = {}): HostSpec {
  return { name, address: "10.0.0.21", sshPort: 22, sshUser: "root", roles: ["worker"], labels: {}, taints: [], simulated: true, ...fields };
}

/**
 * A well-formed ed25519 host key line for a test host: the key blob of `ssh-ed25519` with 32 bytes derived from the
 * name, so each fixture host has its own key and every run the same one. No machine holds its private half.
 */
export function testHostKey(name: string): string {
  const key = createHash("sha256").update(name).digest();
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(key)]).toString("base64")}`;
}

/** An SSH wire-format string: its length as a big-endian uint32, then its bytes. */
function field(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}
