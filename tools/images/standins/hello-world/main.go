// Command hello-world stands in for tutum/hello-world (seed 000): on port 80 it serves an HTML page that says
// "Hello world!" and shows the pod's hostname. HELLO_VARIANT (stable or canary, set in the image config) shows in the
// page as "variant: NAME" and in the X-Hello-Variant response header, so a canary is told apart from stable.
// PORT overrides the port (for running it outside a container).
package main

import (
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"time"
)

const page = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Hello world!</title></head>
<body style="font-family: sans-serif; text-align: center; margin-top: 4em">
<h1>Hello world!</h1>
<h3>My hostname is %s</h3>
<p>variant: %s</p>
</body>
</html>
`

func main() {
	variant := os.Getenv("HELLO_VARIANT")
	if variant == "" {
		variant = "stable"
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "80"
	}
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown"
	}
	body := fmt.Sprintf(page, html.EscapeString(hostname), html.EscapeString(variant))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Hello-Variant", variant)
		if r.Method == http.MethodHead {
			return
		}
		fmt.Fprint(w, body)
	})
	srv := &http.Server{Addr: ":" + port, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("hello-world (%s) on %s, hostname %s", variant, srv.Addr, hostname)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "hello-world: %v\n", err)
		os.Exit(1)
	}
}
