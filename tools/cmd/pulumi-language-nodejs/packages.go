package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON is the part of a package.json we read.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	// Pulumi is the "pulumi" section that provider SDKs such as @pulumi/kubernetes carry.
	Pulumi struct {
		Resource         bool                  `json:"resource"`
		Name             string                `json:"name"`
		Version          string                `json:"version"`
		Server           string                `json:"server"`
		Parameterization *parameterizationJSON `json:"parameterization"`
	} `json:"pulumi"`
}

type parameterizationJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Value   []byte `json:"value"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// findUp returns dir/rel or the same path in the nearest parent directory where it exists,
// which is how node resolves modules from a program directory.
func findUp(dir, rel string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found from %s upward", rel, dir)
		}
		dir = parent
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p) // follows symlinks, as npm/pnpm links packages
	return err == nil && fi.IsDir()
}

// requiredPackages lists the resource plugins needed by the program in dir: every package under
// the nearest node_modules (nested ones included) whose package.json says "pulumi": {"resource": true}.
func requiredPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	nm, err := findUp(dir, "node_modules")
	if err != nil || !isDir(nm) {
		return nil, nil // nothing installed, nothing required
	}
	w := &walker{visited: map[string]bool{}, seen: map[string]bool{}}
	w.walkNodeModules(nm)
	sort.Slice(w.pkgs, func(i, j int) bool {
		if w.pkgs[i].Name != w.pkgs[j].Name {
			return w.pkgs[i].Name < w.pkgs[j].Name
		}
		return w.pkgs[i].Version < w.pkgs[j].Version
	})
	return w.pkgs, errors.Join(w.errs...)
}

type walker struct {
	visited map[string]bool // real paths already walked, so symlink cycles end
	seen    map[string]bool // name@version already reported
	pkgs    []*pulumirpc.PackageDependency
	errs    []error
}

// walkNodeModules visits the packages of one node_modules directory: plain ones, @scope/name
// ones, and (for pnpm) the node_modules directories inside dot-directories such as .pnpm.
func (w *walker) walkNodeModules(nm string) {
	if !w.firstVisit(nm) {
		return
	}
	entries, err := os.ReadDir(nm)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	for _, e := range entries {
		name, p := e.Name(), filepath.Join(nm, e.Name())
		switch {
		case name == ".bin" || !isDir(p):
		case strings.HasPrefix(name, "@"):
			scoped, err := os.ReadDir(p)
			if err != nil {
				w.errs = append(w.errs, err)
				continue
			}
			for _, s := range scoped {
				w.visitPackage(filepath.Join(p, s.Name()))
			}
		case strings.HasPrefix(name, "."):
			inner, _ := os.ReadDir(p)
			for _, s := range inner {
				if sub := filepath.Join(p, s.Name(), "node_modules"); isDir(sub) {
					w.walkNodeModules(sub)
				}
			}
		default:
			w.visitPackage(p)
		}
	}
}

func (w *walker) visitPackage(dir string) {
	if !isDir(dir) || !w.firstVisit(dir) {
		return
	}
	if info, err := readPackageJSON(filepath.Join(dir, "package.json")); err == nil {
		if dep, err := pluginOf(info); err != nil {
			w.errs = append(w.errs, fmt.Errorf("%s: %w", dir, err))
		} else if dep != nil {
			key := dep.Name + "@" + dep.Version
			if dep.Parameterization != nil {
				key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
			}
			if !w.seen[key] {
				w.seen[key] = true
				w.pkgs = append(w.pkgs, dep)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		w.errs = append(w.errs, err)
	}
	if nested := filepath.Join(dir, "node_modules"); isDir(nested) {
		w.walkNodeModules(nested)
	}
}

func (w *walker) firstVisit(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		real = p
	}
	if w.visited[real] {
		return false
	}
	w.visited[real] = true
	return true
}

// pluginOf returns the resource plugin a package asks for, or nil. Name and version come from the
// "pulumi" section, else from the package (@pulumi/NAME -> NAME), as the upstream host does.
func pluginOf(info *packageJSON) (*pulumirpc.PackageDependency, error) {
	if !info.Pulumi.Resource {
		return nil, nil
	}
	name := info.Pulumi.Name
	if name == "" {
		var ok bool
		if name, ok = strings.CutPrefix(info.Name, "@pulumi/"); !ok || name == "" {
			return nil, fmt.Errorf(`package %q needs a "name" in its "pulumi" section`, info.Name)
		}
	}
	ver := info.Pulumi.Version
	if ver == "" {
		ver = info.Version
	}
	if ver == "" {
		return nil, fmt.Errorf(`package %q has no "version"`, info.Name)
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{
		Name: name, Kind: "resource", Version: ver, Server: info.Pulumi.Server,
	}
	if p := info.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{
			Name: p.Name, Version: p.Version, Value: p.Value,
		}
	}
	return dep, nil
}

// programDependencies lists the program's direct dependencies with their installed versions
// (falling back to the range in package.json when a package is not installed).
func programDependencies(dir string) ([]*pulumirpc.DependencyInfo, error) {
	pj, err := findUp(dir, "package.json")
	if err != nil {
		return nil, err
	}
	info, err := readPackageJSON(pj)
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for k, v := range info.DevDependencies {
		all[k] = v
	}
	for k, v := range info.Dependencies {
		all[k] = v
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(all))
	for name, ver := range all {
		if p, err := findUp(filepath.Dir(pj), filepath.Join("node_modules", name, "package.json")); err == nil {
			if installed, err := readPackageJSON(p); err == nil && installed.Version != "" {
				ver = installed.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return deps, nil
}
