//go:build tools

// Package tools pins kwok (simulated kubelets) so that scripts/build-kubernetes.sh can build it
// from its Go module. It is a module of its own because kwok v0.8.0 needs k8s.io/* v0.36, while
// ../kubernetes pins the v0.34 libraries of the control plane it builds.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
