package http_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wardhq/ward"
)

func TestHealthz(t *testing.T) {
	s := MustNewServer(t)
	w := s.Do(t, "GET", "/healthz", "", header("Authorization", ""))
	MustStatus(t, w, http.StatusOK)
	if got, want := w.Body.String(), "ok\n"; got != want {
		t.Fatalf("body=%q, want %q", got, want)
	}
}

func TestReadyz(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustNewServer(t)
		s.Ready = func(ctx context.Context) error { return nil }
		MustStatus(t, s.Do(t, "GET", "/readyz", "", header("Authorization", "")), http.StatusOK)
	})
	t.Run("NoCheck", func(t *testing.T) {
		s := MustNewServer(t)
		MustStatus(t, s.Do(t, "GET", "/readyz", "", header("Authorization", "")), http.StatusOK)
	})
	t.Run("ErrNotReady", func(t *testing.T) {
		s := MustNewServer(t)
		s.Ready = func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("Ready called without a deadline")
			}
			return errors.New("dial postgres://ward:hunter2@db: refused")
		}
		w := s.Do(t, "GET", "/readyz", "", header("Authorization", ""))
		MustStatus(t, w, http.StatusServiceUnavailable)
		if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "postgres") {
			t.Fatalf("body leaks the cause: %q", w.Body.String())
		}
		if !strings.Contains(s.Logs.String(), "refused") {
			t.Fatalf("cause not logged:\n%s", s.Logs.String())
		}
	})
}

func TestMetrics(t *testing.T) {
	s := MustNewServer(t)
	s.Vendors.FindVendorByIDFn = vendorFound
	for _, id := range []string{"ven_1", "ven_2", "ven_3"} {
		MustStatus(t, s.Do(t, "GET", "/api/v1/vendors/"+id, ""), http.StatusOK)
	}
	s.Do(t, "GET", "/api/v1/vendors/ven_1/nope", "")
	s.Do(t, "GET", "/nowhere/ven_SECRET", "")
	s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", ""))
	s.Do(t, "WEIRD", "/healthz", "")
	MustStatus(t, s.Do(t, "GET", "/api/v1/vendors/../vendors/ven_REDIRECT", ""), http.StatusTemporaryRedirect)

	t.Run("MetricsToken", func(t *testing.T) {
		w := s.Do(t, "GET", "/metrics", "", header("Authorization", "Bearer "+metricsToken))
		MustStatus(t, w, http.StatusOK)
		body := w.Body.String()
		for _, want := range []string{
			`ward_http_requests_total{code="200",method="GET",route="/api/v1/vendors/{id}"} 3`,
			`ward_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
			// The console owns every other path: one label, never the raw path.
			`ward_http_requests_total{code="404",method="GET",route="/"} 1`,
			`ward_http_requests_total{code="401",method="GET",route="/api/v1/vendors"} 1`,
			`ward_http_requests_total{code="404",method="OTHER",route="/"} 1`,
			`ward_http_requests_total{code="307",method="GET",route="/api/v1/"} 1`,
			`ward_http_request_duration_seconds_bucket{method="GET",route="/api/v1/vendors/{id}",le="0.005"} 3`,
			`ward_http_request_duration_seconds_count{method="GET",route="/api/v1/vendors/{id}"} 3`,
			"go_goroutines ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		for _, leak := range []string{"ven_1", "ven_SECRET", "ven_REDIRECT", "WEIRD"} {
			if strings.Contains(body, leak) {
				t.Errorf("metrics contain raw request data %q", leak)
			}
		}
		if t.Failed() {
			t.Log(body)
		}
	})
	t.Run("AdminToken", func(t *testing.T) {
		MustStatus(t, s.Do(t, "GET", "/metrics", ""), http.StatusOK)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		w := s.Do(t, "GET", "/metrics", "", header("Authorization", ""))
		MustProblem(t, w, http.StatusUnauthorized)
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Fatal("no WWW-Authenticate")
		}
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		MustProblem(t, s.Do(t, "GET", "/metrics", "", header("Authorization", "Bearer nope")), http.StatusUnauthorized)
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		s := MustNewServer(t).As(auditor)
		MustProblem(t, s.Do(t, "GET", "/metrics", ""), http.StatusForbidden)
	})
	t.Run("SharedRegistry", func(t *testing.T) {
		// A second server on the same registry reuses the collectors.
		s2 := MustNewServer(t)
		s2.Registry = s.Registry
		MustStatus(t, s2.Do(t, "GET", "/healthz", ""), http.StatusOK)
		w := s2.Do(t, "GET", "/metrics", "")
		MustStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), `ward_http_requests_total{code="200",method="GET",route="/healthz"}`) {
			t.Fatalf("shared registry lacks the second server's requests")
		}
	})
}

// TestMetrics_Principal checks that a custom authenticator's admin may read
// metrics.
func TestMetrics_Principal(t *testing.T) {
	s := MustNewServer(t).As(&ward.Principal{Subject: "wkr_admin", Role: ward.RoleAdmin})
	MustStatus(t, s.Do(t, "GET", "/metrics", "", header("Authorization", "")), http.StatusOK)
}
