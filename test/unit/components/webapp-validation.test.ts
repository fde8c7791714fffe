import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WebApp, WebAppArgs } from "../../../components/webapp";
import { go2cloud, helloWorld, nginx } from "../charts/fixtures";
import { installMocks, recorded, settle } from "./mocks";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

const base = (): WebAppArgs => ({ ...helloWorld, provider });

/** The exact error for one problem line. */
const oneProblem = (line: string) => `WebApp "app" has invalid arguments:\n- ${line}`;

function expectRejected(args: WebAppArgs, line: string): void {
  expect(() => new WebApp("app", args)).toThrow(new Error(oneProblem(line)));
}

describe("WebApp rejects bad arguments before registering anything", () => {
  test("an invalid DNS-1123 name", () => {
    expectRejected(
      { ...base(), name: "Flask_App" },
      `name: "Flask_App" is not a valid DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use e.g. "flask-app".`,
    );
  });

  test("a shutdown delay that leaves no time to stop in the grace period", () => {
    expectRejected({ ...base(), shutdownDelaySeconds: 30 }, "shutdownDelaySeconds: 30 is not a whole number of seconds from 1 to 25; the pod's 30 s grace period must leave time to stop.");
  });

  test("an invalid namespace", () => {
    expectRejected(
      { ...base(), namespace: "-cloud" },
      `namespace: "-cloud" is not a valid DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use e.g. "cloud".`,
    );
  });

  test("a container port out of 1-65535", () => {
    expectRejected(
      { ...base(), ports: [{ containerPort: 70000 }], service: { ports: [{ port: 80, targetPort: 80 }] } },
      "ports[0].containerPort: 70000 is not a valid port; use an integer from 1 to 65535.",
    );
  });

  test("a service port out of 1-65535", () => {
    expectRejected(
      { ...base(), service: { type: "NodePort", ports: [{ port: 0, targetPort: 80, nodePort: 31000 }] }, ingress: undefined },
      "service.ports[0].port: 0 is not a valid port; use an integer from 1 to 65535.",
    );
  });

  test("negative replicas", () => {
    expectRejected({ ...base(), replicas: -1 }, "replicas: -1 is negative; use 0 or more.");
  });

  test("a nodePort outside the default range", () => {
    expectRejected(
      { ...base(), service: { type: "NodePort", ports: [{ port: 80, nodePort: 40000 }] } },
      "service.ports[0].nodePort: 40000 is outside the node port range 30000-32767; use a port in that range or change nodePortRange to match the API server.",
    );
  });

  test("a nodePort outside a configured range", () => {
    expectRejected(
      { ...base(), nodePortRange: { min: 20000, max: 22767 } },
      "service.ports[0].nodePort: 31000 is outside the node port range 20000-22767; use a port in that range or change nodePortRange to match the API server.",
    );
    expect(() => new WebApp("in-range", { ...base(), name: "in-range", nodePortRange: { min: 30000, max: 31000 } })).not.toThrow();
  });

  test("a nodePort on a ClusterIP Service", () => {
    expectRejected(
      { ...base(), service: { ports: [{ port: 80, nodePort: 31000 }] } },
      'service.ports[0].nodePort: set, but service.type is not "NodePort"; set service.type to "NodePort" or drop nodePort.',
    );
  });

  test("TLS without a host", () => {
    expectRejected({ ...base(), ingress: { tls: { secretName: "hello-tls" } } }, "ingress.tls: TLS needs a host name; set ingress.host to the name on the certificate.");
  });

  test("a secret env value given as a plain string", () => {
    expectRejected(
      { ...base(), secretEnv: { DB_PASSWORD: "hunter2" as unknown as pulumi.Output<string> } },
      'secretEnv.DB_PASSWORD: a plain value was given where a secret is required; pass pulumi.secret(value) or config.requireSecret("<key>") instead.',
    );
  });

  test("a registry password given as a plain string", () => {
    expectRejected(
      {
        ...base(),
        registryCredential: { server: "r", username: "u", password: "hunter2" as unknown as pulumi.Output<string> },
      },
      'registryCredential.password: a plain value was given where a secret is required; pass pulumi.secret(value) or config.requireSecret("<key>") instead.',
    );
  });

  test("a canary without a host to route", () => {
    expectRejected({ ...base(), ingress: undefined, canary: { image: "x:2", routing: "header" } }, "canary: routing a canary needs ingress.host; set ingress.host.");
  });

  test("a config mount of a missing file", () => {
    const configFiles = { ...nginx.configFiles!, mounts: [{ style: "subPath" as const, key: "nginx.conf", mountPath: "/etc/nginx/nginx.conf" }] };
    expectRejected({ ...base(), configFiles }, 'configFiles.mounts[0].key: "nginx.conf" is not a key of configFiles.files; add the file or fix the key.');
  });

  test("a CPU autoscaler without a CPU request", () => {
    expectRejected(
      { ...base(), resources: { requests: { memory: "32Mi" } }, autoscaling: { maxReplicas: 3, targetCpuUtilization: 70 } },
      "autoscaling: a CPU target needs resources.requests.cpu; set it.",
    );
  });

  test("a ReadWriteOnce claim mounted by pods that can run on two nodes at once: go2cloud-platform as prod had it", () => {
    expectRejected(
      {
        ...go2cloud,
        provider,
        secretFileValues: { DB_PASSWORD: pulumi.secret("db"), REDIS_PASSWORD: pulumi.secret("redis") },
        autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 75 },
        persistentVolume: { ...go2cloud.persistentVolume!, mountPath: "/data/shared" },
      },
      "persistentVolume: go2cloud-platform can run more than one pod (autoscaling.maxReplicas is 6; a rolling update starts the new pod beside the old one), " +
        "but its ReadWriteOnce claim go2cloud-api-pvc attaches to one node at a time, and a pod on another node fails with a Multi-Attach error; " +
        'use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, ' +
        'or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").',
    );
  });

  test("a ReadWriteOncePod claim under Recreate, but with more replicas and a canary", () => {
    expectRejected(
      {
        ...base(),
        strategy: "Recreate",
        replicas: 2,
        canary: { image: "tutum/hello-world:canary", routing: "header" },
        persistentVolume: { storageClassName: "ceph-rdb", size: "1Gi", accessMode: "ReadWriteOncePod", mountPath: "/data" },
      },
      "persistentVolume: tutum-hello-world can run more than one pod (replicas is 2; its canary mounts the claim too), but its ReadWriteOncePod claim tutum-hello-world-data serves one pod at a time, " +
        'and another pod is never scheduled; use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, ' +
        'or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").',
    );
  });

  test("a secret file whose ${NAME} has no value", () => {
    expectRejected(
      { ...go2cloud, provider, secretFileValues: { DB_PASSWORD: pulumi.secret("db") }, secretEnv: { REDIS_PASSWORD: pulumi.secret("redis") } },
      "secretFiles.files.config.yaml: ${REDIS_PASSWORD} has no value; give REDIS_PASSWORD in secretFileValues.",
    );
  });

  test("a secret file value that no file holds", () => {
    expectRejected(
      { ...go2cloud, provider, secretFileValues: { DB_PASSWORD: pulumi.secret("db"), REDIS_PASSWORD: pulumi.secret("redis"), API_TOKEN: pulumi.secret("t") } },
      "secretFileValues.API_TOKEN: no file of secretFiles holds ${API_TOKEN}; put it where the value goes, or drop API_TOKEN.",
    );
  });

  test("every problem in one error, one line each, and nothing registered", async () => {
    await settle();
    const before = recorded.length;
    const args: WebAppArgs = {
      ...base(),
      name: "Bad_Name",
      replicas: -2,
      ports: [{ containerPort: 0 }],
      service: { type: "NodePort", ports: [{ port: 80, nodePort: 29999 }] },
      ingress: { tls: { secretName: "t" } },
      secretEnv: { TOKEN: "plain" as unknown as pulumi.Output<string> },
    };
    expect(() => new WebApp("bad", args)).toThrow(
      new Error(
        [
          'WebApp "bad" has invalid arguments:',
          `- name: "Bad_Name" is not a valid DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use e.g. "bad-name".`,
          "- ports[0].containerPort: 0 is not a valid port; use an integer from 1 to 65535.",
          "- service.ports[0].nodePort: 29999 is outside the node port range 30000-32767; use a port in that range or change nodePortRange to match the API server.",
          "- ingress.tls: TLS needs a host name; set ingress.host to the name on the certificate.",
          "- replicas: -2 is negative; use 0 or more.",
          '- secretEnv.TOKEN: a plain value was given where a secret is required; pass pulumi.secret(value) or config.requireSecret("<key>") instead.',
        ].join("\n"),
      ),
    );
    await settle();
    expect(recorded.length).toBe(before);
  });
});
