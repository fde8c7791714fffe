//go:build tools

// Package tools pins the Go programs the project builds from their modules.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
