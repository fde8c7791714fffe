package refs

import "testing"

func TestRepositoryPath(t *testing.T) {
	for in, want := range map[string]string{
		"redis:4":                                        "library/redis",
		"redis":                                          "library/redis",
		"docker.io/library/redis:4-alpine3.8":            "library/redis",
		"tutum/hello-world":                              "tutum/hello-world",
		"docker.io/flannel/flannel:v0.26.1":              "flannel/flannel",
		"registry.k8s.io/coredns/coredns:v1.11.3":        "coredns/coredns",
		"registry.k8s.io/pause:3.10":                     "pause",
		"10.234.2.218/go2cloud/go2cloud-platform:latest": "go2cloud/go2cloud-platform",
		"10.66.221.138:5500/tutum/hello-world:seed-000":  "tutum/hello-world",
	} {
		got, err := RepositoryPath(in)
		if err != nil || got != want {
			t.Errorf("RepositoryPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := RepositoryPath("redis@sha256:0000000000000000000000000000000000000000000000000000000000000000"); err == nil {
		t.Errorf("a digest reference has no tag to push under; want an error")
	}
}

func TestFullAndMirror(t *testing.T) {
	for in, want := range map[string]string{
		"redis:4-alpine3.8":                        "docker.io/library/redis:4-alpine3.8",
		"tutum/hello-world":                        "docker.io/tutum/hello-world:latest",
		"index.docker.io/tutum/hello-world:canary": "docker.io/tutum/hello-world:canary",
		"registry.k8s.io/pause:3.10":               "registry.k8s.io/pause:3.10",
	} {
		i, err := Parse(in)
		if err != nil || i.Full() != want {
			t.Errorf("Parse(%q).Full() = %q, %v; want %q", in, i.Full(), err, want)
		}
	}
	m, err := Mirror("registry.k8s.io/coredns/coredns:v1.11.3", "reg.example:5000")
	if err != nil || m.String() != "reg.example:5000/coredns/coredns:v1.11.3" {
		t.Errorf("Mirror = %q, %v", m.String(), err)
	}
}
