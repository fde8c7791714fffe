// Package refs maps image names between their upstream form and the site registries' repositories.
package refs

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

// Image is a parsed image name with a tag.
type Image struct {
	// Registry is the registry host as containerd spells it: docker.io, not ggcr's index.docker.io.
	Registry string
	// Repository is the path inside the registry, with docker.io's implicit library/ for one-component names.
	Repository string
	Tag        string
}

// Full is the fully qualified name, e.g. docker.io/library/redis:4-alpine3.8 (containerd's image name).
func (i Image) Full() string { return i.Registry + "/" + i.Repository + ":" + i.Tag }

// Parse parses an image name that carries a tag (or the implicit latest), such as redis:4,
// registry.k8s.io/coredns/coredns:v1.11.3 or 10.234.2.218/go2cloud/go2cloud-platform:latest.
func Parse(s string) (Image, error) {
	ref, err := name.ParseReference(s, name.WithDefaultTag("latest"))
	if err != nil {
		return Image{}, fmt.Errorf("image name %q: %v", s, err)
	}
	tag, ok := ref.(name.Tag)
	if !ok {
		return Image{}, fmt.Errorf("image name %q: needs a tag, not a digest", s)
	}
	reg := tag.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return Image{Registry: reg, Repository: tag.RepositoryStr(), Tag: tag.TagStr()}, nil
}

// RepositoryPath is the repository of an upstream name without its registry host:
// redis:4 → library/redis, registry.k8s.io/coredns/coredns:v1.11.3 → coredns/coredns.
func RepositoryPath(upstream string) (string, error) {
	i, err := Parse(upstream)
	if err != nil {
		return "", err
	}
	return i.Repository, nil
}

// Mirror is the name of an upstream image in a site registry HOST:PORT: HOST:PORT/<repository path>:<tag>.
func Mirror(upstream, host string) (name.Tag, error) {
	i, err := Parse(upstream)
	if err != nil {
		return name.Tag{}, err
	}
	t, err := name.NewTag(host + "/" + i.Repository + ":" + i.Tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("registry %q: %v", host, err)
	}
	return t, nil
}
