package main

// CopyToRemote without SFTP (github.com/pkg/sftp is not in the module graph): files are
// streamed into `cat`, directories and asset archives into `tar -x`, over one SSH session.
// Only sh, cat, mkdir and tar are needed on the target.

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"golang.org/x/crypto/ssh"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// copyPlan is what will be sent and the remote script that receives it on stdin.
type copyPlan struct {
	script string
	open   func() (io.ReadCloser, error)
}

// Remote path semantics follow the upstream docs: parents are created; an existing
// directory receives the source inside it (under the source's base name); an existing
// file is overwritten by a file source and is an error for a directory source.
func planFile(remotePath, base string, mode fs.FileMode, open func() (io.ReadCloser, error)) copyPlan {
	var s strings.Builder
	fmt.Fprintf(&s, "set -e; dst=%s; ", shellQuote(remotePath))
	if base != "" {
		fmt.Fprintf(&s, `if [ -d "$dst" ]; then dst="$dst"/%s; fi; `, shellQuote(base))
	} else {
		s.WriteString(`if [ -d "$dst" ]; then echo "remotePath $dst is a directory" >&2; exit 1; fi; `)
	}
	s.WriteString(`mkdir -p "$(dirname "$dst")"; cat > "$dst"`)
	if mode != 0 {
		fmt.Fprintf(&s, `; chmod %o "$dst"`, mode.Perm())
	}
	return copyPlan{script: s.String(), open: open}
}

func planTar(remotePath, base string, open func() (io.ReadCloser, error)) copyPlan {
	var s strings.Builder
	fmt.Fprintf(&s, "set -e; dst=%s; ", shellQuote(remotePath))
	if base != "" {
		fmt.Fprintf(&s, `if [ -d "$dst" ]; then dst="$dst"/%s; fi; `, shellQuote(base))
	}
	s.WriteString(`if [ -e "$dst" ] && [ ! -d "$dst" ]; then echo "remotePath $dst exists and is not a directory" >&2; exit 1; fi; `)
	s.WriteString(`mkdir -p "$dst"; tar -x -f - -C "$dst"`)
	return copyPlan{script: s.String(), open: open}
}

// planCopy decides how to ship `source` (an asset or archive property) to remotePath.
func planCopy(source resource.PropertyValue, remotePath string) (copyPlan, error) {
	src, _ := propmap.Unwrap(source)
	switch {
	case src.IsAsset():
		a := src.AssetValue()
		if p, ok := a.GetPath(); ok {
			st, err := os.Stat(p)
			if err != nil {
				return copyPlan{}, err
			}
			return planFile(remotePath, filepath.Base(p), st.Mode(), func() (io.ReadCloser, error) { return os.Open(p) }), nil
		}
		return planFile(remotePath, "", 0, func() (io.ReadCloser, error) { return a.Read() }), nil
	case src.IsArchive():
		ar := src.ArchiveValue()
		if p, ok := ar.GetPath(); ok {
			st, err := os.Stat(p)
			if err != nil {
				return copyPlan{}, err
			}
			if !st.IsDir() { // a .tgz/.zip is copied as-is, not unpacked
				return planFile(remotePath, filepath.Base(p), st.Mode(), func() (io.ReadCloser, error) { return os.Open(p) }), nil
			}
			return planTar(remotePath, filepath.Base(filepath.Clean(p)), func() (io.ReadCloser, error) { return tarDir(p) }), nil
		}
		return planTar(remotePath, "", func() (io.ReadCloser, error) { return tarArchive(ar) }), nil
	}
	return copyPlan{}, fmt.Errorf("source must be an Asset or an Archive")
}

// localPathAsset serves the deprecated remote:CopyFile (localPath -> remotePath, a file path).
func localPathAsset(p string) (resource.PropertyValue, error) {
	a, err := asset.FromPath(p)
	if err != nil {
		return resource.PropertyValue{}, err
	}
	return resource.NewAssetProperty(a), nil
}

func runCopy(ctx context.Context, client *ssh.Client, plan copyPlan) error {
	r, err := plan.open()
	if err != nil {
		return err
	}
	defer r.Close()
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh session: %w", err)
	}
	defer sess.Close()
	var stderr bytes.Buffer
	sess.Stdin, sess.Stderr = r, &stderr
	done := make(chan error, 1)
	go func() { done <- sess.Run(plan.script) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Close()
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("copy failed: %v: %s", err, strings.TrimSpace(tailLines(stderr.String(), 10)))
	}
	return nil
}

// tarDir streams a local directory's contents (relative names, modes kept, owner root).
func tarDir(root string) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil || rel == "." {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			link := ""
			if info.Mode()&fs.ModeSymlink != 0 {
				if link, err = os.Readlink(p); err != nil {
					return err
				}
			} else if !info.Mode().IsRegular() && !info.IsDir() {
				return nil // sockets, devices: skip
			}
			hdr, err := tar.FileInfoHeader(info, link)
			if err != nil {
				return err
			}
			hdr.Name = filepath.ToSlash(rel)
			if info.IsDir() {
				hdr.Name += "/"
			}
			hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if info.Mode().IsRegular() {
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = io.Copy(tw, f)
				return err
			}
			return nil
		})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// tarArchive streams an AssetArchive (or remote archive) as a tar of its entries.
func tarArchive(ar *archive.Archive) (io.ReadCloser, error) {
	rd, err := ar.Open()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer rd.Close()
		tw := tar.NewWriter(pw)
		var err error
		for {
			var name string
			var blob *asset.Blob
			name, blob, err = rd.Next()
			if err == io.EOF {
				err = tw.Close()
				break
			}
			if err != nil {
				break
			}
			hdr := &tar.Header{Name: path.Clean(filepath.ToSlash(name)), Mode: 0o644, Size: blob.Size(), Typeflag: tar.TypeReg}
			if err = tw.WriteHeader(hdr); err == nil {
				_, err = io.Copy(tw, blob)
			}
			blob.Close()
			if err != nil {
				break
			}
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}
