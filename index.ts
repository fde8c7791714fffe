// The stack: read and validate the config, then wire the components. No logic lives here.
import { hostsWithRole, loadClusterSpec, ROLES } from "./config";

const spec = loadClusterSpec();

export const clusterName = spec.clusterName;
export const hostsByRole = Object.fromEntries(ROLES.map((role) => [role, hostsWithRole(spec, role).map((h) => h.name)]));
export const network = spec.network;
export const vips = Object.fromEntries(spec.loadBalancers.map((lb) => [lb.name, lb.vip]));
