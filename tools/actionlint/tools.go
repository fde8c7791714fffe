//go:build tools

// Package tools pins actionlint, the GitHub Actions workflow linter, so that
// scripts/build-actionlint.sh builds it from its Go module.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
