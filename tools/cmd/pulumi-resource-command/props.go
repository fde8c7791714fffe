package main

// Helpers that move property values between the engine's wire form (structpb with
// secret/unknown sentinels) and the plain Go structs the runners use.

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// connection mirrors remote.ConnectionArgs / ProxyConnectionArgs of the SDK.
type connection struct {
	Host               string      `json:"host"`
	Port               int         `json:"port"`
	User               string      `json:"user"`
	Password           string      `json:"password"`
	PrivateKey         string      `json:"privateKey"`
	PrivateKeyPassword string      `json:"privateKeyPassword"`
	AgentSocketPath    string      `json:"agentSocketPath"`
	HostKey            string      `json:"hostKey"`
	DialErrorLimit     *int        `json:"dialErrorLimit"`
	PerDialTimeout     *int        `json:"perDialTimeout"`
	Proxy              *connection `json:"proxy"`
}

// commandArgs is the union of remote.Command, local.Command and local.run inputs.
type commandArgs struct {
	Connection             *connection       `json:"connection"`
	Create                 *string           `json:"create"`
	Update                 *string           `json:"update"`
	Delete                 *string           `json:"delete"`
	Command                *string           `json:"command"` // local:run
	Environment            map[string]string `json:"environment"`
	Stdin                  *string           `json:"stdin"`
	Logging                string            `json:"logging"`
	AddPreviousOutputInEnv *bool             `json:"addPreviousOutputInEnv"`
	Interpreter            []string          `json:"interpreter"`
	Dir                    string            `json:"dir"`
	AssetPaths             []string          `json:"assetPaths"`
	ArchivePaths           []string          `json:"archivePaths"`
	// Outputs of the previous run, read back from state for PULUMI_COMMAND_STDOUT/STDERR.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

type copyArgs struct {
	Connection *connection `json:"connection"`
	RemotePath string      `json:"remotePath"`
	LocalPath  string      `json:"localPath"` // deprecated remote:CopyFile
}

// plain turns a property value into JSON-able Go data with every secret unwrapped.
// Assets/archives and unknowns become nil: callers read those from the PropertyMap.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return nil
		}
		return plain(v.OutputValue().Element)
	case v.IsComputed(), v.IsAsset(), v.IsArchive(), v.IsNull():
		return nil
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id, ok := ref.IDString(); ok {
			return id
		}
		return string(ref.URN)
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			out = append(out, plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plain(e)
		}
		return out
	default:
		return v.V
	}
}

// decode fills dst (a pointer to one of the structs above) from a property map.
func decode(m resource.PropertyMap, dst any) error {
	b, err := json.Marshal(plain(resource.NewObjectProperty(m)))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("invalid inputs: %w", err)
	}
	return nil
}

// rewrap restores the secret wrapper removed by propmap.Unwrap.
func rewrap(v resource.PropertyValue, secret bool) resource.PropertyValue {
	if secret {
		return resource.MakeSecret(v)
	}
	return v
}

// withConnDefaults applies the SDK's connectionArgsProvideDefaults on the provider side
// too, so programs that build the object some other way see the same defaults.
func withConnDefaults(v resource.PropertyValue) resource.PropertyValue {
	inner, secret := propmap.Unwrap(v)
	if !inner.IsObject() {
		return v // unknown during preview, or invalid (Check reports it)
	}
	obj := inner.ObjectValue().Copy()
	setDefault := func(k string, d resource.PropertyValue) {
		if cur, ok := obj[resource.PropertyKey(k)]; !ok || cur.IsNull() {
			obj[resource.PropertyKey(k)] = d
		}
	}
	setDefault("port", resource.NewNumberProperty(22))
	setDefault("user", resource.NewStringProperty("root"))
	setDefault("dialErrorLimit", resource.NewNumberProperty(10))
	setDefault("perDialTimeout", resource.NewNumberProperty(15))
	if p, ok := obj["proxy"]; ok && !p.IsNull() {
		obj["proxy"] = withConnDefaults(p)
	}
	return rewrap(resource.NewObjectProperty(obj), secret)
}

// anySecret reports whether any of the named inputs carries a secret.
func anySecret(m resource.PropertyMap, keys ...string) bool {
	for _, k := range keys {
		if v, ok := m[resource.PropertyKey(k)]; ok && v.ContainsSecrets() {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
