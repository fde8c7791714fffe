//go:build tools

// Package tools pins the CNCF distribution registry, built for the registry release the hosts of the registry role run.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
