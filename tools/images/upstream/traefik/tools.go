//go:build tools

// Package tools pins Traefik for the image bundle (scripts/build-images.sh builds its cmd/traefik from here).
// Traefik's own go.mod has replace and exclude directives, so `go install ...@version` refuses it; this module
// requires the same version and copies those directives.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
