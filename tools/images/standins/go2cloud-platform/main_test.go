package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The seed's ConfigMap (003), with its masked values.
const seedConfig = `---
DB_ENGINE: mysql
DB_HOST: mariadb-cluster-mariadb-master.default.svc.cluster.local
DB_PORT: 3306
DB_USER: go2clouduser
DB_PASSWORD: go2xxxxxxxxx
DB_NAME: go2cxxxxxxxx

# Use Redis as cache
REDIS_HOST: redis-cluster-redis-ha-announce-0.default.svc.cluster.local
REDIS_PORT: 6379
REDIS_PASSWORD: ""
# go2cloud-platform 监听端口
HTTP_LISTEN_PORT: 8088
# callback url
API_MIGRATE_SERVER_URL: http://go2cloud-api-service.default.svc.cluster.local:8004
PLATFORM_CALLBACK_URL: 'http://go2cloud-platform-service.default.svc.cluster.local:8088' # the platform
`

func TestConfigView(t *testing.T) {
	t.Setenv("DB_PASSWORD", "from-secret")
	cfg, err := parseConfig(seedConfig)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(view(cfg))
	got := map[string]any{}
	_ = json.Unmarshal(b, &got)
	want := map[string]any{
		"DB_PORT": "3306", "DB_PASSWORD": "set", "REDIS_PASSWORD": "empty", "HTTP_LISTEN_PORT": "8088",
		"API_MIGRATE_SERVER_URL": "http://go2cloud-api-service.default.svc.cluster.local:8004",
		"PLATFORM_CALLBACK_URL":  "http://go2cloud-platform-service.default.svc.cluster.local:8088",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != 13 {
		t.Errorf("got %d keys, want the file's 12 and env: %v", len(got), got)
	}
	if env, _ := json.Marshal(got["env"]); string(env) != `["DB_PASSWORD"]` {
		t.Errorf("env = %s", env)
	}
	if strings.Contains(string(b), "go2xxxxxxxxx") {
		t.Errorf("a password value leaked: %s", b)
	}
}
