package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wardhq/ward/bench"
)

// BenchCommand runs ward's end-to-end benchmarks.
type BenchCommand struct {
	*Main
}

const benchUsage = `Usage: ward bench <benchmark> [flags]

Benchmarks:

	gateway   the whole /fhir pipeline (session, decision, upstream, filter,
	          durable audit) against a bare reverse proxy to the same
	          upstream, in the same run: requests/s and added latency
`

// Run runs "ward bench".
func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "gateway" {
		fmt.Fprint(c.Stdout, benchUsage)
		if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			return nil
		}
		return &usageError{fmt.Sprintf("unknown benchmark %q", args[0])}
	}
	fs := c.newFlagSet("bench gateway", "bench gateway [-duration D] [-concurrency N] [-rate R]")
	duration := fs.Duration("duration", 5*time.Second, "length of each throughput and latency run")
	conc := fs.Int("concurrency", 32, "concurrent clients for the throughput runs")
	rate := fs.Int("rate", 1000, "requests per second for the latency runs")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ward-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := bench.Gateway(ctx, bench.GatewayOptions{Dir: dir, Duration: *duration, Concurrency: *conc, Rate: *rate})
	if err != nil {
		return err
	}
	w := c.Stdout
	fmt.Fprintf(w, "upstream: fixed searchset Bundle, 50 Observations, %d bytes (%d after filtering)\n", res.BodyBytes, res.FilteredBytes)
	fmt.Fprintf(w, "throughput (%d clients, %s each):\n", *conc, *duration)
	fmt.Fprintf(w, "  bare httputil.ReverseProxy  %10.0f req/s\n", res.BareRPS)
	fmt.Fprintf(w, "  ward gateway                %10.0f req/s  (%.0f%% of bare; target >= 50%%)\n", res.GatewayRPS, 100*res.Ratio())
	fmt.Fprintf(w, "latency at %d req/s (%s each):       p50        p99\n", *rate, *duration)
	fmt.Fprintf(w, "  direct upstream             %10s %10s\n", res.DirectP50.Round(time.Microsecond), res.DirectP99.Round(time.Microsecond))
	fmt.Fprintf(w, "  bare proxy                  %10s %10s\n", res.BareP50.Round(time.Microsecond), res.BareP99.Round(time.Microsecond))
	fmt.Fprintf(w, "  ward gateway                %10s %10s\n", res.GatewayP50.Round(time.Microsecond), res.GatewayP99.Round(time.Microsecond))
	fmt.Fprintf(w, "  added by the gateway        %10s %10s  (target p99 <= 2ms)\n", res.AddedP50.Round(time.Microsecond), res.AddedP99.Round(time.Microsecond))
	fmt.Fprintf(w, "audit events written durably: %d; request errors: %d\n", res.AuditEvents, res.Errors)
	return nil
}
