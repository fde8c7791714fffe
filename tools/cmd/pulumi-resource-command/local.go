package main

// local:Command / local:run: run through the interpreter (default /bin/sh -c) in the
// plugin's working directory (the Pulumi program directory), and collect assetPaths /
// archivePaths globs afterwards.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

func runLocal(ctx context.Context, a *commandArgs, cmd string, env map[string]string, stdout, stderr io.Writer) error {
	interp := a.Interpreter
	if len(interp) == 0 {
		interp = []string{"/bin/sh", "-c"}
	}
	c := exec.CommandContext(ctx, interp[0], append(append([]string{}, interp[1:]...), cmd)...)
	c.Dir = a.Dir
	c.Env = os.Environ()
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, k+"="+env[k])
	}
	if a.Stdin != nil {
		c.Stdin = strings.NewReader(*a.Stdin)
	}
	c.Stdout, c.Stderr = stdout, stderr
	err := c.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &exitError{status: ee.ExitCode()}
	}
	return err
}

// globRegexp converts one gobwas/glob-style pattern: `**` crosses `/`, `*` and `?` don't,
// `{a,b}` alternates, `[...]` is a class.
func globRegexp(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			if i+1 < len(pat) && pat[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth > 0 {
				depth--
				b.WriteString(")")
			} else {
				b.WriteString(`\}`)
			}
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '[':
			j := strings.IndexByte(pat[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in %q", pat)
			}
			class := pat[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// matchGlobs returns the files under dir selected by the ordered include/!exclude rules.
func matchGlobs(dir string, rules []string) ([]string, error) {
	type rule struct {
		re  *regexp.Regexp
		neg bool
	}
	var rs []rule
	for _, r := range rules {
		neg := strings.HasPrefix(r, "!")
		re, err := globRegexp(strings.TrimPrefix(r, "!"))
		if err != nil {
			return nil, err
		}
		rs = append(rs, rule{re, neg})
	}
	root := dir
	if root == "" {
		root = "."
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		keep := false
		for _, r := range rs {
			if r.re.MatchString(rel) {
				keep = !r.neg
			}
		}
		if keep {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// collectAssets builds the `assets` map and `archive` outputs of local commands.
func collectAssets(a *commandArgs, outs resource.PropertyMap) error {
	if len(a.AssetPaths) > 0 {
		files, err := matchGlobs(a.Dir, a.AssetPaths)
		if err != nil {
			return fmt.Errorf("assetPaths: %w", err)
		}
		m := resource.PropertyMap{}
		for _, f := range files {
			as, err := asset.FromPath(filepath.Join(a.Dir, f))
			if err != nil {
				return err
			}
			m[resource.PropertyKey(f)] = resource.NewAssetProperty(as)
		}
		outs["assets"] = resource.NewObjectProperty(m)
	}
	if len(a.ArchivePaths) > 0 {
		files, err := matchGlobs(a.Dir, a.ArchivePaths)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		m := map[string]any{}
		for _, f := range files {
			as, err := asset.FromPath(filepath.Join(a.Dir, f))
			if err != nil {
				return err
			}
			m[f] = as
		}
		ar, err := archive.FromAssets(m)
		if err != nil {
			return err
		}
		outs["archive"] = resource.NewArchiveProperty(ar)
	}
	return nil
}

// restoreAssets rebuilds the `assets`/`archive` outputs of a local command from old state.
// The engine elides asset contents (keeps only the hash) when it sends old state to Read and
// Update, and would store such hollow assets verbatim, which the SDK then refuses to load.
// Paths are re-derived from the map keys / archivePaths; the recorded hash is kept so the
// value stays identical to what was stored.
func restoreAssets(a *commandArgs, outs resource.PropertyMap) {
	if v, ok := outs["assets"]; ok && v.IsObject() {
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			if e.IsAsset() && e.AssetValue().Path == "" && e.AssetValue().Text == "" && e.AssetValue().URI == "" {
				e = resource.NewAssetProperty(&asset.Asset{
					Sig: asset.AssetSig, Hash: e.AssetValue().Hash, Path: filepath.Join(a.Dir, string(k)),
				})
			}
			m[k] = e
		}
		outs["assets"] = resource.NewObjectProperty(m)
	}
	if v, ok := outs["archive"]; ok && v.IsArchive() {
		ar := v.ArchiveValue()
		if len(ar.Assets) == 0 && ar.Path == "" && ar.URI == "" { // elided: decodes as an empty map
			m := map[string]any{}
			files, _ := matchGlobs(a.Dir, a.ArchivePaths)
			for _, f := range files {
				m[f] = &asset.Asset{Sig: asset.AssetSig, Path: filepath.Join(a.Dir, f)}
			}
			outs["archive"] = resource.NewArchiveProperty(&archive.Archive{Sig: archive.ArchiveSig, Hash: ar.Hash, Assets: m})
		}
	}
}
