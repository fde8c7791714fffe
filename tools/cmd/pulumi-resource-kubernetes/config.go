package main

// Provider configuration (pulumi:providers:kubernetes): which cluster, which default namespace.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"k8s.io/client-go/tools/clientcmd"

	"onprem-k8s/tools/cmd/internal/propmap"
)

type kubeConfig struct {
	kubeconfig string // a path (list) or the kubeconfig content itself; "" means ambient
	context    string
	cluster    string
	namespace  string // explicit default namespace
	upsert     bool   // upsertExistingObjects: adopt objects that already exist on create

	nsOnce    sync.Once // the default namespace may come from a kubeconfig file: read it once
	defaultNS string
}

// parseConfig reads the settings this plugin uses; every other upstream setting is accepted and
// ignored (server-side apply is always on, and there is no Helm or YAML rendering). The SDK
// sends booleans JSON-encoded ("true") and stack config sends strings; both are accepted.
func parseConfig(m resource.PropertyMap) *kubeConfig {
	s := func(k string) string { return stringAt(m, k) }
	up := stripSecret(m["upsertExistingObjects"])
	return &kubeConfig{
		kubeconfig: s("kubeconfig"),
		context:    s("context"),
		cluster:    s("cluster"),
		namespace:  s("namespace"),
		upsert:     (up.IsBool() && up.BoolValue()) || (up.IsString() && up.StringValue() == "true"),
	}
}

// configFromRequest prefers the structured args (secrets intact) over the legacy string map.
func configFromRequest(req *pulumirpc.ConfigureRequest) (*kubeConfig, error) {
	if req.GetArgs() != nil {
		m, err := propmap.Unmarshal(req.GetArgs())
		if err != nil {
			return nil, err
		}
		return parseConfig(m), nil
	}
	m := resource.PropertyMap{}
	for k, v := range req.GetVariables() {
		m[resource.PropertyKey(strings.TrimPrefix(k, providerName+":config:"))] = resource.NewStringProperty(v)
	}
	return parseConfig(m), nil
}

// isContent tells kubeconfig content from a path: content is YAML or JSON over several lines
// (or one line of JSON), while a path never holds a newline.
func isContent(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(t, "\n") || strings.HasPrefix(t, "{")
}

// clientConfig resolves the kubeconfig without contacting the cluster.
func (c *kubeConfig) clientConfig() (clientcmd.ClientConfig, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.context}
	overrides.Context.Cluster = c.cluster
	switch {
	case c.kubeconfig == "":
		// Like upstream: $KUBECONFIG, then ~/.kube/config (then in-cluster config).
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides), nil
	case isContent(c.kubeconfig):
		raw, err := clientcmd.Load([]byte(c.kubeconfig))
		if err != nil {
			return nil, fmt.Errorf("the kubeconfig provider setting is not a valid kubeconfig: %w", err)
		}
		return clientcmd.NewNonInteractiveClientConfig(*raw, c.context, overrides, nil), nil
	default:
		var paths []string
		for _, p := range filepath.SplitList(c.kubeconfig) {
			paths = append(paths, expandHome(p))
		}
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: paths}
		return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides), nil
	}
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// defaultNamespace is the namespace for namespaced objects that name none: the provider's
// `namespace`, else the kubeconfig context's, else "default". It needs no cluster.
func (c *kubeConfig) defaultNamespace() string {
	c.nsOnce.Do(func() {
		c.defaultNS = "default"
		if c.namespace != "" {
			c.defaultNS = c.namespace
		} else if cc, err := c.clientConfig(); err == nil {
			if ns, _, err := cc.Namespace(); err == nil && ns != "" {
				c.defaultNS = ns
			}
		}
	})
	return c.defaultNS
}

// CheckConfig accepts every upstream setting; only an unparsable kubeconfig content is an error,
// reported here so that it shows up at preview rather than in the middle of an update.
func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if kc := stripSecret(news["kubeconfig"]); kc.IsString() && isContent(kc.StringValue()) {
		if _, err := clientcmd.Load([]byte(kc.StringValue())); err != nil {
			failures = append(failures, &pulumirpc.CheckFailure{
				Property: "kubeconfig", Reason: "not a valid kubeconfig: " + err.Error(),
			})
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// DiffConfig reports changed settings as in-place updates. Upstream replaces the provider (and so
// every object) when the target cluster changes; that is too destructive to guess at here.
func (p *provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := propmap.Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = propmap.Unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	for k := range keys {
		if k == "version" {
			continue
		}
		o, n := stripSecret(olds[k]), stripSecret(news[k])
		if isUnknown(n) || !o.DeepEquals(n) {
			resp.Diffs = append(resp.Diffs, string(k))
		}
	}
	sort.Strings(resp.Diffs)
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return resp, nil
}

// Configure records the settings; the cluster is contacted only when an operation needs it.
// (The engine does not call Configure at all while a setting is unknown during a preview.)
func (p *provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg, err := configFromRequest(req)
	if err != nil {
		return nil, err
	}
	if cfg.kubeconfig != "" && isContent(cfg.kubeconfig) {
		if _, err := clientcmd.Load([]byte(cfg.kubeconfig)); err != nil {
			return nil, fmt.Errorf("the kubeconfig provider setting is not a valid kubeconfig: %w", err)
		}
	}
	p.mu.Lock()
	p.cfg = cfg
	p.clus = nil
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}
