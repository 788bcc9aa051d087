package http

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's own collectors. Labels are bounded: route is a
// ServeMux pattern (or "unmatched"), never a raw path, so IDs in URLs do not
// grow the number of series.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the HTTP metrics with reg, or reuses them when reg
// is shared with another Server.
//
// The Go and process collectors are cmd/ward's to register: their package,
// prometheus/collectors, imports database/sql, which http must not.
func newMetrics(reg *prometheus.Registry, logger *slog.Logger) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ward_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ward_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	m.requests = register(reg, logger, m.requests)
	m.duration = register(reg, logger, m.duration)
	return m
}

// register adds c to reg, or returns the collector already registered in
// its place.
func register[C prometheus.Collector](reg *prometheus.Registry, logger *slog.Logger, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
		logger.Warn("metrics collector registered with another type", "err", err)
	default:
		logger.Warn("register metrics collector", "err", err)
	}
	return c
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}
