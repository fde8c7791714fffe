//go:build tools

// Package tools pins the Kubernetes control-plane binaries and kubectl so that
// scripts/build-kubernetes.sh can build them from their Go modules with `go build`.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
