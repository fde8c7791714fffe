// The policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

// Mandatory unless the environment's config says otherwise (dev: advisory).
new PolicyPack("onprem-k8s", { enforcementLevel: "mandatory", policies });
