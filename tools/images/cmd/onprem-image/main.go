// Command onprem-image builds, verifies and pushes the OCI image archives of the offline image bundle.
//
//	onprem-image build --name NAME --out FILE.tar [--layer DIR]... [--entrypoint JSON] [--cmd JSON] [--env K=V]...
//	                   [--workdir DIR] [--port N/tcp]... [--user U]
//	onprem-image digest FILE.tar
//	onprem-image push --archive FILE.tar --name UPSTREAM_NAME --digest sha256:... --to HOST:PORT[,HOST:PORT...]
//	                  [--ca CA.pem] [--username U]   (password: first line of stdin)
//
// Every error is one line on stderr and a non-zero exit.
package main

import (
	"os"

	"onprem-k8s/tools/images/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
