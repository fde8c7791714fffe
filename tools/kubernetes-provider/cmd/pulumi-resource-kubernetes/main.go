// Command pulumi-resource-kubernetes is Pulumi's own Kubernetes provider, built from its pinned Go module.
// Upstream's main package cannot be built as a dependency: it embeds two files that upstream's Makefile generates
// beside it. scripts/build-tools.sh writes them here from the module's schema.json and terraform-mapping.json
// (the schema stamped with the provider's version, as upstream's generate.go does) before it builds.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
