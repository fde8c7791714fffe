//go:build tools

// Package tools pins etcdctl, built beside the etcd server for the lab's artifact mirror.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
)
