package main

// Check (defaults + validation) and Diff decisions, kept free of I/O so they are unit-testable.

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/propmap"
)

const (
	tRemoteCommand = "command:remote:Command"
	tCopyToRemote  = "command:remote:CopyToRemote"
	tCopyFile      = "command:remote:CopyFile"
	tLocalCommand  = "command:local:Command"
	tLocalRun      = "command:local:run"
)

// outputOnly are state keys the provider computes; they are never compared as inputs.
var outputOnly = map[resource.PropertyKey]bool{
	"stdout": true, "stderr": true, "assets": true, "archive": true,
}

// replaceKeys: upstream marks only `triggers` replaceOnChanges; every other input change is
// an in-place update that re-runs `update` (or `create`).
var replaceKeys = map[resource.PropertyKey]bool{"triggers": true}

// noRunKeys: changing only these does not re-run anything, it just updates state.
var noRunKeys = map[resource.PropertyKey]bool{"delete": true, "logging": true}

func isRemote(typ string) bool {
	return typ == tRemoteCommand || typ == tCopyToRemote || typ == tCopyFile
}

// checkInputs applies defaults and reports missing required inputs. Unknown values
// (preview) are accepted as-is.
func checkInputs(typ string, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	out := news.Copy()
	var failures []*pulumirpc.CheckFailure
	fail := func(prop, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: prop, Reason: reason})
	}
	missing := func(k resource.PropertyKey) bool {
		v, ok := out[k]
		return !ok || v.IsNull()
	}
	if isRemote(typ) {
		if missing("connection") {
			fail("connection", "missing required property 'connection'")
		} else {
			out["connection"] = withConnDefaults(out["connection"])
			if c, _ := propmap.Unwrap(out["connection"]); c.IsObject() {
				if h, ok := c.ObjectValue()["host"]; !ok || h.IsNull() {
					fail("connection.host", "missing required property 'connection.host'")
				}
			}
		}
	}
	switch typ {
	case tCopyToRemote:
		if missing("remotePath") {
			fail("remotePath", "missing required property 'remotePath'")
		}
		if missing("source") {
			fail("source", "missing required property 'source'")
		} else if s, _ := propmap.Unwrap(out["source"]); !s.IsAsset() && !s.IsArchive() && !s.ContainsUnknowns() {
			fail("source", "'source' must be an Asset or an Archive")
		}
	case tCopyFile:
		if missing("localPath") {
			fail("localPath", "missing required property 'localPath'")
		}
		if missing("remotePath") {
			fail("remotePath", "missing required property 'remotePath'")
		}
	}
	return out, failures
}

// inputsOf returns the comparable inputs: old inputs when the engine sent them, else the
// old state without computed outputs.
func inputsOf(oldInputs, olds resource.PropertyMap) resource.PropertyMap {
	if len(oldInputs) > 0 {
		return oldInputs
	}
	out := resource.PropertyMap{}
	for k, v := range olds {
		if !outputOnly[k] {
			out[k] = v
		}
	}
	return out
}

// diffInputs compares old and new inputs. Secretness changes count as changes so the state
// picks up a newly-secret value.
func diffInputs(olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for k := range keys {
		if outputOnly[k] {
			continue
		}
		o, hasOld := olds[k]
		n, hasNew := news[k]
		hasOld = hasOld && !o.IsNull()
		hasNew = hasNew && !n.IsNull()
		if !hasOld && !hasNew {
			continue
		}
		if hasOld && hasNew && o.DeepEquals(n) && !n.ContainsUnknowns() {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !hasOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !hasNew:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replaceKeys[k] {
			kind += 1 // ADD_REPLACE, DELETE_REPLACE, UPDATE_REPLACE follow their plain kinds
			resp.Replaces = append(resp.Replaces, string(k))
		}
		resp.Diffs = append(resp.Diffs, string(k))
		resp.DetailedDiff[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	sort.Strings(resp.Diffs)
	sort.Strings(resp.Replaces)
	return resp
}

// needsRun says whether an update must execute a command (or re-copy): false when only
// keys like `delete`/`logging` changed.
func needsRun(olds, news resource.PropertyMap) bool {
	for _, k := range diffInputs(olds, news).Diffs {
		if !noRunKeys[resource.PropertyKey(k)] {
			return true
		}
	}
	return false
}

// stdioSecret: stdout/stderr are returned as secrets when what produced them was secret.
func stdioSecret(news resource.PropertyMap) bool {
	return anySecret(news, "create", "update", "command", "stdin", "environment")
}
