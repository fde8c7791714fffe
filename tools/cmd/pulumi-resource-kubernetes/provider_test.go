package main

// The tests drive the provider through its RPC methods, with properties marshaled the way the
// engine sends them, so secrets and unknowns take the same path as in a real deployment.

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"onprem-k8s/tools/cmd/internal/propmap"
	"onprem-k8s/tools/cmd/internal/propmap/propmaptest"
)

const (
	urnDeploy = "urn:pulumi:dev::k8stest::kubernetes:apps/v1:Deployment::web"
	urnSecret = "urn:pulumi:dev::k8stest::kubernetes:core/v1:Secret::creds"
	urnCM     = "urn:pulumi:dev::k8stest::kubernetes:core/v1:ConfigMap::cfg"
	urnNS     = "urn:pulumi:dev::k8stest::kubernetes:core/v1:Namespace::ns"
	urnRoute  = "urn:pulumi:dev::k8stest::kubernetes:traefik.io/v1alpha1:IngressRoute::route"
)

func obj(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func secretStr(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}

// testProvider has a fake cluster, or none at all (every cluster use fails the test).
func testProvider(t *testing.T, f *fakeCluster) *provider {
	t.Helper()
	p := newProvider(nil)
	p.newCluster = func(*kubeConfig) (cluster, error) {
		if f == nil {
			t.Fatal("the provider contacted the cluster")
		}
		return f, nil
	}
	return p
}

func deployment(image string) resource.PropertyMap {
	return obj(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "apps"},
		"spec": map[string]any{
			"replicas": 2,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{"containers": []any{
					map[string]any{"name": "web", "image": image},
				}},
			},
		},
	})
}

func create(t *testing.T, p *provider, urn string, in resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	t.Helper()
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: propmaptest.MustMarshal(t, in), Preview: preview})
	if err != nil {
		return "", nil, err
	}
	return resp.Id, propmaptest.MustUnmarshal(t, resp.Properties), nil
}

func TestTokenGVK(t *testing.T) {
	cases := map[string]schema.GroupVersionKind{
		"kubernetes:core/v1:Secret":                                   {Version: "v1", Kind: "Secret"},
		"kubernetes:apps/v1:Deployment":                               {Group: "apps", Version: "v1", Kind: "Deployment"},
		"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": {Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"},
		"kubernetes:traefik.io/v1alpha1:IngressRoute":                 {Group: "traefik.io", Version: "v1alpha1", Kind: "IngressRoute"},
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole":         {Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"},
	}
	for token, want := range cases {
		got, err := tokenGVK(token)
		if err != nil || got != want {
			t.Errorf("tokenGVK(%q) = %v, %v; want %v", token, got, err, want)
		}
		if token != "kubernetes:core/v1:Secret" && "kubernetes:"+apiVersion(got)+":"+got.Kind != token {
			t.Errorf("apiVersion(%v) does not round-trip to %q", got, token)
		}
	}
	for _, bad := range []string{"kubernetes:helm.sh/v3:Release", "kubernetes:yaml/v2:ConfigGroup", "tls:index/privateKey:PrivateKey", "kubernetes:v1:Pod", "kubernetes:apps/v1:"} {
		if _, err := tokenGVK(bad); err == nil {
			t.Errorf("tokenGVK(%q) succeeded", bad)
		}
	}
	// The inputs' apiVersion/kind win over the token (CustomResource tokens are built from them anyway).
	gvk, err := objectGVK("kubernetes:core/v1:Service", obj(map[string]any{"apiVersion": "v1", "kind": "Service"}))
	if err != nil || gvk != (schema.GroupVersionKind{Version: "v1", Kind: "Service"}) {
		t.Errorf("objectGVK = %v, %v", gvk, err)
	}
	if ns, name := parseID("apps/web"); ns != "apps" || name != "web" {
		t.Errorf("parseID = %q %q", ns, name)
	}
	if ns, name := parseID("cluster-admin"); ns != "" || name != "cluster-admin" {
		t.Errorf("parseID = %q %q", ns, name)
	}
}

func check(t *testing.T, p *provider, urn string, olds, news resource.PropertyMap, seed string) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	t.Helper()
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn, Olds: propmaptest.MustMarshal(t, olds), News: propmaptest.MustMarshal(t, news), RandomSeed: []byte(seed),
	})
	if err != nil {
		t.Fatal(err)
	}
	return propmaptest.MustUnmarshal(t, resp.Inputs), resp.Failures
}

func TestCheckAutonames(t *testing.T) {
	p := testProvider(t, nil)
	cm := func(md map[string]any) resource.PropertyMap {
		return obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": map[string]any{"a": "b"}})
	}
	in, failures := check(t, p, urnCM, nil, cm(map[string]any{"labels": map[string]any{"x": "y"}}), "seed1")
	if len(failures) > 0 {
		t.Fatal(failures)
	}
	name := stringAt(in, "metadata", "name")
	if !regexp.MustCompile(`^cfg-[0-9a-f]{8}$`).MatchString(name) {
		t.Fatalf("autoname %q", name)
	}
	if stringAt(in, "metadata", "annotations", autonamedAnnotation) != "true" || stringAt(in, "metadata", "labels", "x") != "y" {
		t.Fatalf("metadata %v", in["metadata"])
	}
	// A later check (new random seed) keeps the generated name.
	again, _ := check(t, p, urnCM, in, cm(map[string]any{}), "seed2")
	if got := stringAt(again, "metadata", "name"); got != name {
		t.Fatalf("name not reused: %q then %q", name, got)
	}
	// A replacement re-checks without olds and gets a fresh name.
	fresh, _ := check(t, p, urnCM, nil, cm(map[string]any{}), "seed2")
	if stringAt(fresh, "metadata", "name") == name {
		t.Fatal("replacement kept the old autoname")
	}
	// An explicit name is left alone, and is not taken over from an autonamed old object.
	named, _ := check(t, p, urnCM, in, cm(map[string]any{"name": "mine"}), "s")
	if stringAt(named, "metadata", "name") != "mine" || stringAt(named, "metadata", "annotations", autonamedAnnotation) != "" {
		t.Fatalf("explicit name changed: %v", named["metadata"])
	}
	// metadata as a whole secret stays secret; unknown metadata is left for later.
	sec := cm(nil)
	sec["metadata"] = resource.MakeSecret(resource.NewObjectProperty(obj(map[string]any{"namespace": "ns"})))
	out, _ := check(t, p, urnCM, nil, sec, "s")
	if !out["metadata"].IsSecret() || stringAt(out, "metadata", "name") == "" {
		t.Fatalf("secret metadata: %v", out["metadata"])
	}
	unk := cm(nil)
	unk["metadata"] = propmap.Unknown()
	out, _ = check(t, p, urnCM, nil, unk, "s")
	if !out["metadata"].IsComputed() {
		t.Fatalf("unknown metadata: %v", out["metadata"])
	}
}

func TestCheckRejectsInvalidObjects(t *testing.T) {
	p := testProvider(t, nil)
	_, failures := check(t, p, urnCM, nil, obj(map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}), "s")
	if len(failures) != 1 || failures[0].Property != "apiVersion" || !strings.Contains(failures[0].Reason, "apiVersion") {
		t.Fatalf("missing apiVersion: %v", failures)
	}
	_, failures = check(t, p, urnCM, nil, obj(map[string]any{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}}), "s")
	if len(failures) != 1 || failures[0].Property != "kind" {
		t.Fatalf("missing kind: %v", failures)
	}
	_, failures = check(t, p, urnDeploy, nil, set(deployment("nginx"), "kind", "Service"), "s")
	if len(failures) != 1 || failures[0].Property != "kind" || !strings.Contains(failures[0].Reason, "does not match") {
		t.Fatalf("kind mismatch: %v", failures)
	}
	// A Patch type is the object's kind plus "Patch", and nothing else.
	_, failures = check(t, p, "urn:pulumi:dev::k8stest::kubernetes:apps/v1:DeploymentPatch::p", nil, set(deployment("nginx"), "kind", "Service"), "s")
	if len(failures) != 1 || failures[0].Property != "kind" {
		t.Fatalf("patch of another kind: %v", failures)
	}
	// Unknown apiVersion/kind (preview) pass.
	in := deployment("nginx")
	in["kind"] = propmap.Unknown()
	if _, failures = check(t, p, urnDeploy, nil, in, "s"); len(failures) > 0 {
		t.Fatalf("unknown kind: %v", failures)
	}
}

func diffResp(t *testing.T, p *provider, urn string, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn, Olds: propmaptest.MustMarshal(t, olds), OldInputs: propmaptest.MustMarshal(t, olds), News: propmaptest.MustMarshal(t, news),
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// deepCopy copies containers (keeping secret and unknown markers) so set leaves its input alone.
func deepCopy(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return resource.MakeSecret(deepCopy(v.SecretValue().Element))
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = deepCopy(e)
		}
		return resource.NewObjectProperty(m)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = deepCopy(e)
		}
		return resource.NewArrayProperty(arr)
	}
	return v
}

// set returns a copy of m with the value at a property path replaced.
func set(m resource.PropertyMap, path string, v any) resource.PropertyMap {
	pv, ok := v.(resource.PropertyValue)
	if !ok {
		pv = resource.NewPropertyValue(v)
	}
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		panic(err)
	}
	root := deepCopy(resource.NewObjectProperty(m))
	if !p.Set(root, pv) {
		var ok bool
		if root, ok = p.Add(root, pv); !ok {
			panic("cannot set " + path)
		}
	}
	return root.ObjectValue()
}

type diffCase struct {
	name       string
	urn        string
	olds, news resource.PropertyMap
	changes    pulumirpc.DiffResponse_DiffChanges
	replaces   []string
	dbr        bool   // deleteBeforeReplace
	detail     string // the one detailed-diff path expected, if set
}

func TestDiffDecisions(t *testing.T) {
	p := testProvider(t, nil)
	old := deployment("nginx:1")
	cases := []diffCase{
		{name: "same", urn: urnDeploy, olds: old, news: old, changes: pulumirpc.DiffResponse_DIFF_NONE},
		{name: "image", urn: urnDeploy, olds: old, news: set(old, "spec.template.spec.containers[0].image", "nginx:2"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, detail: "spec.template.spec.containers[0].image"},
		{name: "replicas", urn: urnDeploy, olds: old, news: set(old, "spec.replicas", 3.0), changes: pulumirpc.DiffResponse_DIFF_SOME},
		{name: "selector", urn: urnDeploy, olds: old, news: set(old, "spec.selector.matchLabels.app", "web2"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"spec.selector.matchLabels.app"}, dbr: true},
		{name: "rename", urn: urnDeploy, olds: old, news: set(old, "metadata.name", "web2"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"metadata.name"}},
		{name: "move", urn: urnDeploy, olds: old, news: set(old, "metadata.namespace", "other"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"metadata.namespace"}},
		{name: "version bump", urn: urnDeploy, olds: old, news: set(old, "apiVersion", "apps/v2"), changes: pulumirpc.DiffResponse_DIFF_SOME},
		{name: "group change", urn: urnDeploy, olds: old, news: set(old, "apiVersion", "extensions/v1beta1"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"apiVersion"}, dbr: true},
		{name: "unknown name", urn: urnDeploy, olds: old, news: set(old, "metadata.name", propmap.Unknown()),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"metadata.name"}},
		{name: "annotation", urn: urnDeploy, olds: set(old, "metadata.annotations.a", "b"),
			news:    set(set(old, "metadata.annotations.a", "b"), `metadata.annotations["pulumi.com/skipAwait"]`, "true"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, detail: `metadata.annotations["pulumi.com/skipAwait"]`},
	}
	svc := obj(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"},
		"spec": map[string]any{"clusterIP": "10.0.0.10", "ports": []any{map[string]any{"port": 80}}}})
	urnSvc := "urn:pulumi:dev::k8stest::kubernetes:core/v1:Service::s"
	cases = append(cases,
		diffCase{name: "clusterIP", urn: urnSvc, olds: svc, news: set(svc, "spec.clusterIP", "10.0.0.11"),
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"spec.clusterIP"}, dbr: true},
		diffCase{name: "port", urn: urnSvc, olds: svc, news: set(svc, "spec.ports[0].port", 81.0), changes: pulumirpc.DiffResponse_DIFF_SOME},
		diffCase{name: "explicit default namespace", urn: urnSvc, olds: svc, news: set(svc, "metadata.namespace", "default"),
			changes: pulumirpc.DiffResponse_DIFF_SOME},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := diffResp(t, p, c.urn, c.olds, c.news)
			if resp.Changes != c.changes {
				t.Errorf("changes = %v, want %v (%v)", resp.Changes, c.changes, resp.DetailedDiff)
			}
			if strings.Join(resp.Replaces, ",") != strings.Join(c.replaces, ",") {
				t.Errorf("replaces = %v, want %v", resp.Replaces, c.replaces)
			}
			if resp.DeleteBeforeReplace != c.dbr {
				t.Errorf("deleteBeforeReplace = %v, want %v", resp.DeleteBeforeReplace, c.dbr)
			}
			if c.detail != "" {
				d, ok := resp.DetailedDiff[c.detail]
				if !ok || d.Kind > pulumirpc.PropertyDiff_UPDATE || len(resp.DetailedDiff) != 1 {
					t.Errorf("detailed diff = %v, want one in-place change at %s", resp.DetailedDiff, c.detail)
				}
			}
		})
	}
}

func TestDiffImmutableFields(t *testing.T) {
	pvc := obj(map[string]any{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": map[string]any{"name": "data"},
		"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "storageClassName": "ceph",
			"resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}})
	pvcGVK := schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}
	if r := diffInputs(pvcGVK, pvc, set(pvc, "spec.resources.requests.storage", "2Gi"), "default", false); len(r.Replaces) > 0 || r.Changes != pulumirpc.DiffResponse_DIFF_SOME {
		t.Errorf("PVC resize: %v", r)
	}
	if r := diffInputs(pvcGVK, pvc, set(pvc, "spec.storageClassName", "local"), "default", false); len(r.Replaces) != 1 {
		t.Errorf("PVC class change: %v", r)
	}
	job := obj(map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "j"},
		"spec": map[string]any{"backoffLimit": 1, "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "a"}}}}}})
	jobGVK := schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	if r := diffInputs(jobGVK, job, set(job, "spec.template.spec.containers[0].image", "b"), "default", false); len(r.Replaces) != 1 {
		t.Errorf("Job template: %v", r)
	}
	if r := diffInputs(jobGVK, job, set(job, "spec.backoffLimit", 2.0), "default", false); len(r.Replaces) != 0 {
		t.Errorf("Job backoffLimit: %v", r)
	}
	cm := obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "data": map[string]any{"a": "1"}})
	cmGVK := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	if r := diffInputs(cmGVK, cm, set(cm, "data.a", "2"), "default", false); len(r.Replaces) != 0 {
		t.Errorf("mutable ConfigMap: %v", r)
	}
	imm := set(cm, "immutable", true)
	if r := diffInputs(cmGVK, imm, set(imm, "data.a", "2"), "default", false); len(r.Replaces) != 1 {
		t.Errorf("immutable ConfigMap: %v", r)
	}
}

func TestDiffComparesSecretsByValue(t *testing.T) {
	p := testProvider(t, nil)
	sec := obj(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}})
	sec["stringData"] = resource.MakeSecret(resource.NewObjectProperty(obj(map[string]any{"password": "hunter2"})))
	if r := diffResp(t, p, urnSecret, sec, sec.Copy()); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("unchanged secret: %v", r)
	}
	changed := sec.Copy()
	changed["stringData"] = resource.MakeSecret(resource.NewObjectProperty(obj(map[string]any{"password": "hunter3"})))
	r := diffResp(t, p, urnSecret, sec, changed)
	if r.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(r.Replaces) != 0 || r.DetailedDiff["stringData.password"] == nil {
		t.Fatalf("changed secret: %v", r)
	}
}

func TestPreviewWithoutCluster(t *testing.T) {
	p := testProvider(t, nil) // any cluster use fails the test
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: propmaptest.MustMarshal(t, resource.PropertyMap{})}); err != nil {
		t.Fatal(err)
	}
	in := deployment("nginx")
	in = set(in, "spec.template.spec.containers[0].image", propmap.Unknown())
	id, out, err := create(t, p, urnDeploy, in, true)
	if err != nil {
		t.Fatal(err)
	}
	if id != "" || !out["status"].IsComputed() || stringAt(out, "metadata", "name") != "web" {
		t.Fatalf("preview outputs: id=%q %v", id, out)
	}
	img, _ := resource.ParsePropertyPath("spec.template.spec.containers[0].image")
	if v, ok := img.Get(resource.NewObjectProperty(out)); !ok || !v.IsComputed() {
		t.Fatalf("unknown input not unknown in outputs: %v", v)
	}
	// A preview update overlays the new inputs on the old live object.
	live := set(deployment("nginx:1"), "metadata.uid", "u1")
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urnDeploy, Id: "apps/web", Olds: propmaptest.MustMarshal(t, live), News: propmaptest.MustMarshal(t, deployment("nginx:2")), Preview: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	upd := propmaptest.MustUnmarshal(t, resp.Properties)
	if stringAt(upd, "metadata", "uid") != "u1" || !upd["status"].IsComputed() {
		t.Fatalf("preview update: %v", upd)
	}
	// Secrets stay secret in previews too.
	sec := obj(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}})
	sec["stringData"] = resource.MakeSecret(resource.NewObjectProperty(obj(map[string]any{"password": "hunter2"})))
	_, out, err = create(t, p, urnSecret, sec, true)
	if err != nil || !out["stringData"].IsSecret() {
		t.Fatalf("preview secret: %v %v", out, err)
	}
}

func TestUpWithoutClusterNamesTheSetting(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	p := newProvider(nil)
	_, _, err := create(t, p, urnDeploy, deployment("nginx"), false)
	if err == nil || !strings.Contains(err.Error(), "kubeconfig") {
		t.Fatalf("want an error naming the kubeconfig setting, got %v", err)
	}
}

func TestConfigure(t *testing.T) {
	content := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team}}]
current-context: x
`
	p := newProvider(nil)
	args := resource.PropertyMap{"kubeconfig": secretStr(content), "enableServerSideApply": resource.NewStringProperty("true"),
		"suppressHelmHookWarnings": resource.NewStringProperty("false")}
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: propmaptest.MustMarshal(t, args)}); err != nil {
		t.Fatal(err)
	}
	if ns := p.config().defaultNamespace(); ns != "team" {
		t.Fatalf("default namespace from the kubeconfig context: %q", ns)
	}
	args["namespace"] = resource.NewStringProperty("apps")
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: propmaptest.MustMarshal(t, args)}); err != nil {
		t.Fatal(err)
	}
	if ns := p.config().defaultNamespace(); ns != "apps" {
		t.Fatalf("explicit default namespace: %q", ns)
	}
	// The kubeconfig may also be a path, given in the legacy variables map.
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Variables: map[string]string{"kubernetes:config:kubeconfig": path}}); err != nil {
		t.Fatal(err)
	}
	if ns := p.config().defaultNamespace(); ns != "team" {
		t.Fatalf("namespace from kubeconfig file: %q", ns)
	}
	bad := resource.PropertyMap{"kubeconfig": resource.NewStringProperty("{not yaml")}
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: propmaptest.MustMarshal(t, bad)}); err == nil {
		t.Fatal("invalid kubeconfig content accepted")
	}
	ck, err := p.CheckConfig(context.Background(), &pulumirpc.CheckRequest{News: propmaptest.MustMarshal(t, bad)})
	if err != nil || len(ck.Failures) != 1 {
		t.Fatalf("CheckConfig: %v %v", ck, err)
	}
	d, err := p.DiffConfig(context.Background(), &pulumirpc.DiffRequest{OldInputs: propmaptest.MustMarshal(t, args), News: propmaptest.MustMarshal(t, args)})
	if err != nil || d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("DiffConfig same: %v %v", d, err)
	}
	d, _ = p.DiffConfig(context.Background(), &pulumirpc.DiffRequest{OldInputs: propmaptest.MustMarshal(t, args), News: propmaptest.MustMarshal(t, bad)})
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 0 {
		t.Fatalf("DiffConfig changed: %v", d)
	}
}

func TestCreateKeepsSecretsSecret(t *testing.T) {
	f := newFakeCluster()
	p := testProvider(t, f)
	// A plain Secret: data is secret in the state even though the input was not marked.
	sec := obj(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds", "namespace": "apps"},
		"stringData": map[string]any{"password": "hunter2"}})
	id, out, err := create(t, p, urnSecret, sec, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["metadata"].ObjectValue()["managedFields"]; ok {
		t.Fatal("managedFields kept in the state")
	}
	if id != "apps/creds" || !out["data"].IsSecret() || stringAt(out, "metadata", "uid") != "uid-creds" {
		t.Fatalf("secret outputs: %s %v", id, out)
	}
	// A ConfigMap with one secret value: only that value is secret.
	cm := obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cfg"},
		"data": map[string]any{"public": "x"}})
	cm = set(cm, "data.token", secretStr("s3cret"))
	id, out, err = create(t, p, urnCM, cm, false)
	if err != nil {
		t.Fatal(err)
	}
	data := out["data"].ObjectValue()
	if id != "default/cfg" || !data["token"].IsSecret() || data["public"].IsSecret() {
		t.Fatalf("configmap outputs: %s %v", id, out)
	}
	// The applied object carries plain values, and no status.
	applied := f.applied[len(f.applied)-1]
	if applied.Object["data"].(map[string]any)["token"] != "s3cret" || applied.GetNamespace() != "default" {
		t.Fatalf("applied %v", applied.Object)
	}
}

func TestCreateAwaitsDeployments(t *testing.T) {
	pollInterval = time.Millisecond
	f := newFakeCluster()
	f.readyAfter = 2
	p := testProvider(t, f)
	id, out, err := create(t, p, urnDeploy, deployment("nginx"), false)
	if err != nil {
		t.Fatal(err)
	}
	if id != "apps/web" || f.gets < 3 {
		t.Fatalf("id %q after %d gets", id, f.gets)
	}
	if v, _ := resource.ParsePropertyPath("status.availableReplicas"); true {
		if got, ok := v.Get(resource.NewObjectProperty(out)); !ok || got.NumberValue() != 2 {
			t.Fatalf("status %v", out["status"])
		}
	}
	// Creating the same object again is refused: it would adopt an object this resource does not own.
	if _, _, err := create(t, p, urnDeploy, deployment("nginx"), false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second create: %v", err)
	}

	// skipAwait: no polling at all.
	f2 := newFakeCluster()
	f2.readyAfter = -1
	p2 := testProvider(t, f2)
	skip := set(deployment("nginx"), `metadata.annotations["pulumi.com/skipAwait"]`, "true")
	if _, _, err := create(t, p2, urnDeploy, skip, false); err != nil || f2.gets != 1 {
		t.Fatalf("skipAwait: %v after %d gets", err, f2.gets)
	}

	// A Deployment that never becomes available fails, but is recorded (partial state).
	f3 := newFakeCluster()
	f3.readyAfter = -1
	p3 := testProvider(t, f3)
	resp, err := p3.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnDeploy, Properties: propmaptest.MustMarshal(t, deployment("nginx")), Timeout: 0.05})
	if err == nil {
		t.Fatalf("no timeout: %v", resp)
	}
	st, _ := status.FromError(err)
	var init *pulumirpc.ErrorResourceInitFailed
	for _, d := range st.Details() {
		if e, ok := d.(*pulumirpc.ErrorResourceInitFailed); ok {
			init = e
		}
	}
	if init == nil || init.Id != "apps/web" || !strings.Contains(st.Message(), "is not ready") {
		t.Fatalf("want an init failure with the object id, got %v", err)
	}
}

func TestUpdateReadDelete(t *testing.T) {
	pollInterval = time.Millisecond
	f := newFakeCluster()
	p := testProvider(t, f)
	ns := obj(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "apps", "namespace": "ignored"}})
	id, _, err := create(t, p, urnNS, ns, false)
	if err != nil || id != "apps" {
		t.Fatalf("cluster-scoped create: %q %v", id, err)
	}
	if f.applied[0].GetNamespace() != "" {
		t.Fatal("namespace kept on a cluster-scoped object")
	}
	_, olds, err := create(t, p, urnDeploy, deployment("nginx:1"), false)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urnDeploy, Id: "apps/web",
		Olds: propmaptest.MustMarshal(t, olds), News: propmaptest.MustMarshal(t, deployment("nginx:2"))})
	if err != nil {
		t.Fatal(err)
	}
	out := propmaptest.MustUnmarshal(t, upd.Properties)
	if img, _ := resource.ParsePropertyPath("spec.template.spec.containers[0].image"); true {
		if v, _ := img.Get(resource.NewObjectProperty(out)); v.StringValue() != "nginx:2" {
			t.Fatalf("updated image %v", v)
		}
	}
	// Read: found (import derives inputs), then gone.
	rd, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnDeploy, Id: "apps/web"})
	if err != nil || rd.Id != "apps/web" {
		t.Fatalf("read: %v %v", rd, err)
	}
	ins := propmaptest.MustUnmarshal(t, rd.Inputs)
	if _, ok := ins["status"]; ok || stringAt(ins, "metadata", "uid") != "" || stringAt(ins, "kind") != "Deployment" {
		t.Fatalf("imported inputs: %v", ins)
	}
	f.keepAfterDelete = 2
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnDeploy, Id: "apps/web", Properties: upd.Properties}); err != nil {
		t.Fatal(err)
	}
	if len(f.objs) != 1 {
		t.Fatalf("deployment not gone: %v", f.objs)
	}
	rd, err = p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnDeploy, Id: "apps/web"})
	if err != nil || rd.Id != "" {
		t.Fatalf("read of a deleted object: %v %v", rd, err)
	}
	// Deleting what is already gone, or whose kind is no longer served, succeeds.
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnDeploy, Id: "apps/web", Properties: upd.Properties}); err != nil {
		t.Fatal(err)
	}
	route := obj(map[string]any{"apiVersion": "traefik.io/v1alpha1", "kind": "Unserved"})
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnRoute, Id: "apps/r", Properties: propmaptest.MustMarshal(t, route)}); err != nil {
		t.Fatal(err)
	}
}

func TestInvokeYAMLDecode(t *testing.T) {
	p := testProvider(t, nil)
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {n: \"1\"}\n---\n# empty\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {replicas: 2}\n"
	resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "kubernetes:yaml:decode",
		Args: propmaptest.MustMarshal(t, resource.PropertyMap{"text": resource.NewStringProperty(text)})})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatal(err, resp.GetFailures())
	}
	res := propmaptest.MustUnmarshal(t, resp.Return)["result"].ArrayValue()
	if len(res) != 2 || stringAt(res[1].ObjectValue(), "kind") != "Deployment" {
		t.Fatalf("decoded %v", res)
	}
	if _, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "kubernetes:helm:template"}); err == nil {
		t.Fatal("unimplemented invoke succeeded")
	}
}

func TestMarkSecretsFollowsInputPaths(t *testing.T) {
	in := obj(map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "a"}}}})
	in = set(in, "spec.containers[0].env", resource.NewArrayProperty([]resource.PropertyValue{
		resource.NewObjectProperty(resource.PropertyMap{"name": resource.NewStringProperty("PW"), "value": secretStr("x")}),
	}))
	live := obj(map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "a", "imagePullPolicy": "Always",
		"env": []any{map[string]any{"name": "PW", "value": "x"}}}}}, "status": map[string]any{"phase": "Running"}})
	out := markSecrets(resource.NewObjectProperty(live), resource.NewObjectProperty(in))
	v, _ := resource.ParsePropertyPath("spec.containers[0].env[0].value")
	if got, _ := v.Get(out); !got.IsSecret() {
		t.Fatalf("env value not secret: %v", got)
	}
	n, _ := resource.ParsePropertyPath("spec.containers[0].env[0].name")
	if got, _ := n.Get(out); got.IsSecret() {
		t.Fatal("env name made secret")
	}
}
