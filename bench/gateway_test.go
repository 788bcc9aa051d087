package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardhq/ward/bench"
)

// TestGateway runs a short benchmark: it must complete without errors and
// audit every gateway request. No timing is asserted.
func TestGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	res, err := bench.Gateway(context.Background(), bench.GatewayOptions{Dir: t.TempDir(), Duration: 200 * time.Millisecond, Concurrency: 4, Rate: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.GatewayRPS == 0 || res.BareRPS == 0 || res.AuditEvents == 0 {
		t.Fatalf("result %+v", res)
	}
	if res.FilteredBytes >= res.BodyBytes {
		t.Fatalf("filtered %d bytes of %d: the filter removed nothing", res.FilteredBytes, res.BodyBytes)
	}
}
