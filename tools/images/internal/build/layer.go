package build

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// epoch is every timestamp in a layer and in the image config.
var epoch = time.Unix(0, 0).UTC()

// capabilityXattr holds a file's capabilities (setcap); it is the one extended attribute a layer keeps.
const capabilityXattr = "security.capability"

func fileCapability(path string) (string, error) {
	buf := make([]byte, 256)
	n, err := syscall.Getxattr(path, capabilityXattr, buf)
	if err == syscall.ENODATA || err == syscall.ENOTSUP {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %v", capabilityXattr, err)
	}
	return string(buf[:n]), nil
}

type inode struct{ dev, ino uint64 }

// WriteLayerTar writes the tree under dir as a tar whose bytes depend only on the tree's names, contents, modes
// and links: entries in sorted order, mtime 0, uid/gid 0 with numeric owners, modes, symlinks and hard links kept
// (a hard link points to the first of its names in that order), and file capabilities (security.capability, as
// a PAX SCHILY.xattr record) but no other extended attribute.
func WriteLayerTar(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	seen := map[inode]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return fmt.Errorf("layer %s: %s is a socket, which a layer cannot hold", dir, rel)
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("layer %s: %s: %v", dir, rel, err)
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.PAXRecords = nil
		hdr.Format = tar.FormatPAX
		if fi.Mode().IsRegular() {
			if capability, err := fileCapability(path); err != nil {
				return fmt.Errorf("layer %s: %s: %v", dir, rel, err)
			} else if capability != "" {
				hdr.PAXRecords = map[string]string{"SCHILY.xattr." + capabilityXattr: capability}
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
				key := inode{uint64(st.Dev), st.Ino}
				if first, ok := seen[key]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
					return tw.WriteHeader(hdr)
				}
				seen[key] = rel
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("layer %s: %s: %v", dir, rel, err)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err != nil {
			return fmt.Errorf("layer %s: %s: %v", dir, rel, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("layer %s: %s changed while it was read", dir, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
