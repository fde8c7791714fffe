// Command go2cloud-platform stands in for seed 003's go2cloud-platform: it reads its config file
// (/data/config/config.yaml, or CONFIG_FILE), a YAML file of top-level scalar keys, and listens on its
// HTTP_LISTEN_PORT (8088 when absent; the environment variable overrides the file). GET /healthz answers 200, and
// GET /config shows every key of the file, with the value of each key ending in PASSWORD replaced by "set" or
// "empty", plus "env": which of the DB_PASSWORD and REDIS_PASSWORD environment variables are set.
// A missing or unreadable config file stops it at start with one line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const defaultConfig = "/data/config/config.yaml"

var secretEnv = []string{"DB_PASSWORD", "REDIS_PASSWORD"}

// parseConfig reads `KEY: value` lines at the top level; comments, document markers and nested lines are skipped.
func parseConfig(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---" || trimmed == "..." {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' || strings.HasPrefix(trimmed, "- ") {
			continue // nested: not a top-level scalar
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: not KEY: value", n)
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		switch {
		case strings.HasPrefix(value, `"`):
			end := 1
			for end < len(value) && value[end] != '"' {
				if value[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(value) {
				return nil, fmt.Errorf("line %d: unterminated quoted value", n)
			}
			s, err := strconv.Unquote(value[:end+1])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			value = s
		case strings.HasPrefix(value, "'"):
			rest, quoted := value[1:], ""
			for {
				i := strings.Index(rest, "'")
				if i < 0 {
					return nil, fmt.Errorf("line %d: unterminated quoted value", n)
				}
				quoted += rest[:i]
				if strings.HasPrefix(rest[i+1:], "'") {
					quoted += "'"
					rest = rest[i+2:]
					continue
				}
				break
			}
			value = quoted
		default:
			if i := strings.Index(value, " #"); i >= 0 {
				value = strings.TrimSpace(value[:i])
			}
			if value == "~" || value == "null" {
				value = ""
			}
		}
		out[key] = value
	}
	return out, sc.Err()
}

// view is what GET /config shows: no password value ever leaves the process.
func view(cfg map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		if strings.HasSuffix(k, "PASSWORD") {
			if v == "" {
				out[k] = "empty"
			} else {
				out[k] = "set"
			}
			continue
		}
		out[k] = v
	}
	env := []string{}
	for _, name := range secretEnv {
		if _, ok := os.LookupEnv(name); ok {
			env = append(env, name)
		}
	}
	out["env"] = env
	return out
}

func main() {
	file := os.Getenv("CONFIG_FILE")
	if file == "" {
		file = defaultConfig
	}
	text, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go2cloud-platform: config file: %v\n", err)
		os.Exit(1)
	}
	cfg, err := parseConfig(string(text))
	if err != nil {
		fmt.Fprintf(os.Stderr, "go2cloud-platform: config file %s: %v\n", file, err)
		os.Exit(1)
	}
	port := cfg["HTTP_LISTEN_PORT"]
	if p := os.Getenv("HTTP_LISTEN_PORT"); p != "" {
		port = p
	}
	if port == "" {
		port = "8088"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		fmt.Fprintf(os.Stderr, "go2cloud-platform: HTTP_LISTEN_PORT %q is not a port\n", port)
		os.Exit(1)
	}
	body, _ := json.MarshalIndent(view(cfg), "", "  ")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(body, '\n'))
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("go2cloud-platform on %s, config %s (%d keys)", srv.Addr, file, len(cfg))
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "go2cloud-platform: %v\n", err)
		os.Exit(1)
	}
}
