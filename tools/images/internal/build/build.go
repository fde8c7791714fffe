// Package build makes a reproducible linux/amd64 image from directories and writes it as an OCI image layout
// tar archive (oci-archive) that `ctr images import` names.
package build

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"onprem-k8s/tools/images/internal/archive"
	"onprem-k8s/tools/images/internal/refs"
)

// Annotations on the image's descriptor in index.json.
const (
	AnnotationRefName       = "org.opencontainers.image.ref.name"
	AnnotationContainerdRef = "io.containerd.image.name"
)

// Spec is what decides an image: its name, layer directories and config.
type Spec struct {
	Name       string
	Layers     []string
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	Ports      []string
	User       string
}

// Result is the built image's fully qualified name and manifest digest.
type Result struct {
	Name   string
	Digest v1.Hash
}

// dirLayer is the directory dir as a gzipped OCI layer, its tar written to path.
func dirLayer(dir, path string) (v1.Layer, error) {
	if err := writeFile(path, func(w io.Writer) error { return WriteLayerTar(dir, w) }); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.DefaultCompression))
	if err != nil {
		return nil, fmt.Errorf("layer %s: %v", dir, err)
	}
	return layer, nil
}

// Image builds the image of spec; its layers are read from tar files written under tmp.
func Image(spec Spec, tmp string) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for i, dir := range spec.Layers {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %v", dir, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("layer %s: not a directory", dir)
		}
		layer, err := dirLayer(dir, filepath.Join(tmp, fmt.Sprintf("layer-%d.tar", i)))
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return nil, fmt.Errorf("layer %s: %v", dir, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: epoch}
	// No history: its entries would only carry timestamps and build steps, which must not change the bytes.
	cf.History = nil
	cf.Config = v1.Config{
		Entrypoint: spec.Entrypoint,
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		WorkingDir: spec.WorkingDir,
		User:       spec.User,
	}
	for _, e := range spec.Env {
		if !strings.Contains(e, "=") || strings.HasPrefix(e, "=") {
			return nil, fmt.Errorf("--env %q: not K=V", e)
		}
	}
	if len(spec.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

// Build builds spec's image and writes it as an oci-archive to out (through a temporary file and a rename).
func Build(spec Spec, out string) (Result, error) {
	return withTemp(out, func(tmp string) (v1.Image, error) { return Image(spec, tmp) }, spec.Name)
}

// Append writes to out the image of the oci-archive `from` with one more layer, the directory dir, named name: an
// image changed by one layer, as a rebuilt image with one more file is.
func Append(from *archive.Archive, dir, name, out string) (Result, error) {
	return withTemp(out, func(tmp string) (v1.Image, error) {
		layer, err := dirLayer(dir, filepath.Join(tmp, "append.tar"))
		if err != nil {
			return nil, err
		}
		img, err := mutate.AppendLayers(from.Image, layer)
		if err != nil {
			return nil, err
		}
		// No history, as a build has none: AppendLayers adds an entry.
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.History = nil
		return mutate.ConfigFile(img, cf)
	}, name)
}

// withTemp makes an image with make in a temporary directory beside out, then writes it to out as name.
func withTemp(out string, make func(tmp string) (v1.Image, error), name string) (Result, error) {
	ref, err := refs.Parse(name)
	if err != nil {
		return Result{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".onprem-image-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	img, err := make(tmp)
	if err != nil {
		return Result{}, err
	}
	return write(img, ref, tmp, out)
}

// write lays img out as an OCI image layout under tmp, annotated with ref, and tars it to out.
func write(img v1.Image, ref refs.Image, tmp, out string) (Result, error) {
	dir := filepath.Join(tmp, "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return Result{}, err
	}
	if err := p.WriteImage(img); err != nil {
		return Result{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return Result{}, err
	}
	size, err := img.Size()
	if err != nil {
		return Result{}, err
	}
	// The descriptor by hand: ggcr's AppendImage would add an artifactType, which the spec keeps for artifacts.
	desc := v1.Descriptor{
		MediaType:   types.OCIManifestSchema1,
		Size:        size,
		Digest:      digest,
		Annotations: map[string]string{AnnotationRefName: ref.Tag, AnnotationContainerdRef: ref.Full()},
		Platform:    &v1.Platform{OS: "linux", Architecture: "amd64"},
	}
	if err := p.AppendDescriptor(desc); err != nil {
		return Result{}, err
	}
	part := filepath.Join(tmp, "archive.tar")
	if err := writeFile(part, func(w io.Writer) error { return TarDir(dir, w) }); err != nil {
		return Result{}, err
	}
	if err := os.Rename(part, out); err != nil {
		return Result{}, err
	}
	return Result{Name: ref.Full(), Digest: digest}, nil
}

// TarDir writes the OCI layout in dir as a tar: sorted, mtime 0, root-owned, files 0644 and directories 0755.
func TarDir(dir string, w io.Writer) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, path := range paths {
		rel, _ := filepath.Rel(dir, path)
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case fi.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, fi.Size()
		default:
			return fmt.Errorf("%s: unexpected file type in the layout", rel)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
