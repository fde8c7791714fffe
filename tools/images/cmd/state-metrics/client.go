package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// pageSize is the limit of each list request; bigger lists are followed through their continue tokens.
const pageSize = 500

// apiClient lists objects from the Kubernetes API server as the pod's service account.
type apiClient struct {
	server    string // https://HOST:PORT
	tokenFile string
	http      *http.Client
}

func newAPIClient(server, tokenFile, caFile string) (*apiClient, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &apiClient{
		server:    strings.TrimSuffix(server, "/"),
		tokenFile: tokenFile,
		// The timeout bounds each page, body included, so a stuck API server fails the scrape instead of hanging it.
		http: &http.Client{Transport: transport, Timeout: 10 * time.Second},
	}, nil
}

// list returns every item of a collection such as /api/v1/pods, decoded into T.
func list[T any](ctx context.Context, c *apiClient, path string) ([]T, error) {
	var items []T
	// resourceVersion=0 lets the API server answer from its watch cache instead of a quorum read of etcd, as
	// kube-state-metrics' informers list. A continue token carries its own snapshot, so later pages send no
	// resourceVersion, as client-go's pager does.
	query := url.Values{"resourceVersion": {"0"}, "limit": {fmt.Sprint(pageSize)}}
	for {
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []T `json:"items"`
		}
		if err := c.get(ctx, path+"?"+query.Encode(), &page); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		items = append(items, page.Items...)
		if page.Metadata.Continue == "" {
			return items, nil
		}
		query = url.Values{"limit": {fmt.Sprint(pageSize)}, "continue": {page.Metadata.Continue}}
	}
}

// get decodes the JSON answer of one GET into v; an answer other than 200 is an error with the API server's message.
func (c *apiClient) get(ctx context.Context, pathAndQuery string, v any) error {
	// The kubelet rotates the projected token, so it is read again for every request.
	token, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(token))) == 0 {
		return fmt.Errorf("%s is empty", c.tokenFile)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+pathAndQuery, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "state-metrics/"+version)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s: %s", resp.Status, statusMessage(body))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}

// statusMessage is the message of a metav1.Status body (what the API server answers with its errors), else the body.
func statusMessage(body []byte) string {
	var status struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &status) == nil && status.Message != "" {
		return status.Message
	}
	return strings.TrimSpace(string(body))
}
