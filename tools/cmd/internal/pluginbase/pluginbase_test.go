package pluginbase

import (
	"context"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestInfoSchemaAndCancel(t *testing.T) {
	ctx := context.Background()
	p := New("command", "1.2.1", nil)
	info, err := p.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || info.GetVersion() != "1.2.1" {
		t.Errorf("plugin info: %v, %v", info, err)
	}
	s, err := p.GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	if err != nil || s.GetSchema() != `{"name":"command","version":"1.2.1"}` {
		t.Errorf("schema: %v, %v", s, err)
	}
	if p.Host() != nil {
		t.Error("host without an engine")
	}
	if p.Context().Err() != nil {
		t.Fatal("cancelled before Cancel")
	}
	if _, err := p.Cancel(ctx, &emptypb.Empty{}); err != nil || p.Context().Err() == nil {
		t.Errorf("Cancel did not end the context: %v", err)
	}
}
