/** The checks the monitoring and logging addons share: a retention and a storage claim. */
import { isRecord, Problems } from "./problems";

export function checkRetention(key: string, retention: unknown, problems: Problems): void {
  if (retention !== undefined && (typeof retention !== "string" || !/^[1-9][0-9]*[hdwy]$/.test(retention))) {
    problems.add(key, `${JSON.stringify(retention)} is not a retention`, "give a number and a unit h, d, w or y, such as 15d");
  }
}

export function checkStorage(key: string, storage: unknown, problems: Problems): void {
  if (storage !== undefined && !(isRecord(storage) && typeof storage.storageClassName === "string" && typeof storage.size === "string" && /^[1-9][0-9]*(Mi|Gi|Ti)$/.test(storage.size))) {
    problems.add(key, `${JSON.stringify(storage)} is not a claim`, "give {storageClassName: NAME, size: 20Gi}, or leave storage out for an emptyDir");
  }
}

export function checkUiHost(key: string, uiHost: unknown, problems: Problems): void {
  if (uiHost !== undefined && (typeof uiHost !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(uiHost))) {
    problems.add(key, `${JSON.stringify(uiHost)} is not a host name`, "give a DNS name such as metrics.example.com");
  }
}

export function checkNamespace(key: string, namespace: unknown, problems: Problems, isLabel: (s: string) => boolean): void {
  if (namespace !== undefined && (typeof namespace !== "string" || !isLabel(namespace))) {
    problems.add(key, `${JSON.stringify(namespace)} is not a namespace name`, "give a DNS-1123 label such as monitoring");
  }
}

/** Every key of `value` that is not one of `known`. */
export function checkKnownSettings(key: string, value: Record<string, unknown>, known: readonly string[], problems: Problems): void {
  for (const unknown of Object.keys(value).filter((k) => !known.includes(k))) {
    problems.add(`${key}.${unknown}`, "is not a setting of this addon", `use one of ${known.join(", ")}`);
  }
}
