package main

import (
	"encoding/json"
	"strings"
)

// schemaJSON returns a minimal Pulumi package schema for the resources this plugin
// implements. The engine does not need it to run programs; it is here so that tools which
// ask (pulumi package get-schema, import code generation) get a truthful answer.
func schemaJSON() string {
	resources := map[string]any{}
	for token, k := range kinds {
		inputs := map[string]any{}
		for _, name := range k.inputs {
			inputs[name] = propertySpec(name)
		}
		if k == certRequestKind {
			inputs["subject"] = map[string]any{"$ref": "#/types/tls:index/CertRequestSubject:CertRequestSubject"}
		}
		outputs := map[string]any{}
		for name, spec := range inputs {
			if !k.writeOnly[name] {
				outputs[name] = spec
			}
		}
		for _, name := range k.outputs {
			outputs[name] = propertySpec(name)
		}
		resources[token] = map[string]any{
			"inputProperties": inputs,
			"properties":      outputs,
			"requiredInputs":  requiredInputs[token],
		}
	}
	subject := map[string]any{"type": "object", "properties": map[string]any{
		"commonName": strSpec, "country": strSpec, "emailAddress": strSpec, "locality": strSpec,
		"organization": strSpec, "organizationalUnit": strSpec, "postalCode": strSpec,
		"province": strSpec, "serialNumber": strSpec, "streetAddresses": strList,
	}}
	schema := map[string]any{
		"name":    "tls",
		"version": version,
		// Tokens are "tls:index/<file>:<Type>", as in the official schema; this tells the
		// schema binder that the part after "/" is a file name, not a nested module.
		"meta":      map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"},
		"resources": resources,
		"types": map[string]any{
			"tls:index/SelfSignedCertSubject:SelfSignedCertSubject": subject,
			"tls:index/CertRequestSubject:CertRequestSubject":       subject,
		},
		"language": map[string]any{"nodejs": map[string]any{"packageName": "@pulumi/tls"}},
	}
	out, _ := json.Marshal(schema)
	return string(out)
}

var (
	strSpec = map[string]any{"type": "string"}
	strList = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
)

var requiredInputs = map[string][]string{
	privateKeyKind.token:        {"algorithm"},
	selfSignedCertKind.token:    {"allowedUses", "validityPeriodHours"},
	certRequestKind.token:       {},
	locallySignedCertKind.token: {"allowedUses", "caCertPem", "certRequestPem", "validityPeriodHours"},
}

func propertySpec(name string) map[string]any {
	spec := map[string]any{"type": "string"}
	switch {
	case name == "subject":
		spec = map[string]any{"$ref": "#/types/tls:index/SelfSignedCertSubject:SelfSignedCertSubject"}
	case name == "allowedUses" || name == "dnsNames" || name == "ipAddresses" || name == "uris":
		spec = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case strings.HasSuffix(name, "Hours") || strings.HasSuffix(name, "Version") ||
		name == "rsaBits" || name == "maxPathLength":
		spec["type"] = "integer"
	case strings.HasPrefix(name, "is") || strings.HasPrefix(name, "set") || name == "readyForRenewal":
		spec["type"] = "boolean"
	}
	if strings.Contains(name, "rivateKeyPem") || name == "privateKeyOpenssh" {
		spec["secret"] = true
	}
	return spec
}
