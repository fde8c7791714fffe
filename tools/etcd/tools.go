//go:build tools

// Package tools pins etcdctl and etcdutl, built beside the etcd server for the lab's artifact mirror.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
)
