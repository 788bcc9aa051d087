package gateway_test

import (
	"context"
	"testing"

	"github.com/wardhq/ward/gateway"
	"github.com/wardhq/ward/policy"
)

// BenchmarkDecide measures the in-memory decision of one request (parse,
// shift, origin, grant, organization policy): the hot path's cost besides
// the upstream and the filter. Target: ≤ 2 µs median.
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct {
		name string
		pol  gateway.Policy
	}{
		{"PolicyFake", nil},
		{"Cedar", policy.Default()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, nil, func(c *gateway.Config) {
				if bc.pol != nil {
					c.Policy = bc.pol
				}
			})
			p := e.toks["tok-w1"]
			for _, in := range []struct {
				name string
				in   gateway.Input
			}{
				{"Search", gateway.Input{Method: "GET", RawPath: "/Condition", RawQuery: "patient=Patient/" + e.patA + "&_count=50"}},
				{"Read", gateway.Input{Method: "GET", RawPath: "/Patient/" + e.patA}},
			} {
				b.Run(in.name, func(b *testing.B) {
					ctx := context.Background()
					if d := e.gw.Decide(ctx, p, in.in); !d.Permit {
						b.Fatalf("denied: %v", d.Reasons)
					}
					b.ReportAllocs()
					for b.Loop() {
						e.gw.Decide(ctx, p, in.in)
					}
				})
			}
		})
	}
}
