package http_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
)

// MustNewFuzzServer is MustNewServer without logs, which would grow with
// every input.
func MustNewFuzzServer(tb testing.TB) *Server {
	tb.Helper()
	s := MustNewServer(tb)
	s.Logger = slog.New(slog.DiscardHandler)
	return s
}

// checkFuzzResponse fails unless the server answered one of ok or a
// client error as a problem document: never a 5xx, never a panic.
func checkFuzzResponse(t *testing.T, code int, contentType string, body []byte, ok int) {
	t.Helper()
	if code == ok {
		return
	}
	if code < 400 || code >= 500 {
		t.Fatalf("status=%d; body %s", code, body)
	}
	if contentType != "application/problem+json" {
		t.Fatalf("Content-Type=%q for status %d", contentType, code)
	}
	var p wardhttp.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status != code || p.Detail == "" {
		t.Fatalf("bad problem %s (%v)", body, err)
	}
}

// FuzzDecodeVendor sends arbitrary bodies to POST /api/v1/vendors, whose
// store validates like the real one.
func FuzzDecodeVendor(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Acme","baa_status":"active","baa_effective":"2026-01-01","baa_expires":"2027-01-01","approved_countries":["US","PH"]}`,
		`{"name":"Acme","baa_status":"pending"}`,
		`{"name":1}`,
		`{"approved_countries":["US",{"a":[1]}]}`,
		`{"baa_effective":"2026-02-30"}`,
		`{"NAME":"case","Baa_Status":"active"}`,
		`{"name":"x"} trailing`,
		`{"name":"\ud800"}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	s := MustNewFuzzServer(f)
	s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error {
		if err := v.Validate(); err != nil {
			return err
		}
		v.ID = "ven_1"
		return nil
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := s.Do(t, "POST", "/api/v1/vendors", body, header("Content-Type", "application/json"))
		checkFuzzResponse(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), http.StatusCreated)
	})
}

// FuzzDecodeSchedule sends arbitrary bodies to POST /api/v1/schedules,
// whose nested windows and exceptions exercise field paths.
func FuzzDecodeSchedule(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Day","time_zone":"Asia/Manila","windows":[{"day":"mon","start":"08:00","end":"17:00"}],"exceptions":[{"date":"2026-12-25","off":true}]}`,
		`{"windows":[{"day":"mon","start":8}]}`,
		`{"exceptions":[{"date":"2026-13-45"}]}`,
		`{"exceptions":[{"windows":[{"x":1}]}]}`,
		`{"windows":{"day":"mon"}}`,
	} {
		f.Add(seed)
	}
	s := MustNewFuzzServer(f)
	s.Schedules.CreateScheduleFn = func(ctx context.Context, sch *ward.Schedule) error {
		if err := sch.Validate(); err != nil {
			return err
		}
		sch.ID = "sch_1"
		return nil
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := s.Do(t, "POST", "/api/v1/schedules", body, header("Content-Type", "application/json"))
		checkFuzzResponse(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), http.StatusCreated)
	})
}

// FuzzDecodeTaskUpdate sends arbitrary bodies to PATCH /api/v1/tasks/{id},
// whose due_at has its own decoder.
func FuzzDecodeTaskUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"due_at":null}`,
		`{"due_at":"2026-03-06T00:00:00Z","priority":3}`,
		`{"due_at":"2026-03-06"}`,
		`{"due_at":[],"queue_id":"q"}`,
		`{"sensitivity_tags":["hiv",null]}`,
		`{"complexity":-1e400}`,
	} {
		f.Add(seed)
	}
	s := MustNewFuzzServer(f)
	s.Tasks.UpdateTaskFn = func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
		t := &ward.Task{ID: id, QueueID: "que_1", Type: ward.FunctionCoding, PatientRef: "Patient/1", Complexity: 1}
		upd.Apply(t)
		if err := t.Validate(); err != nil {
			return nil, err
		}
		return t, nil
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := s.Do(t, "PATCH", "/api/v1/tasks/task_1", body, header("Content-Type", "application/json"))
		checkFuzzResponse(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), http.StatusOK)
	})
}

// FuzzListQuery sends arbitrary query strings to GET /api/v1/tasks and
// checks that the store sees only a valid filter.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"status=open&type=coding&tag=hiv&offset=10&limit=20",
		"limit=abc",
		"offset=-1",
		"limit=1&limit=2",
		"status=",
		"patient_ref=Patient%2F123&assignee_id=wkr_1",
		"%zz",
		"a;b",
		"limit=500&offset=9223372036854775807",
		"tag=BAD&unknown=1",
	} {
		f.Add(seed)
	}
	s := MustNewFuzzServer(f)
	s.Tasks.FindTasksFn = func(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error) {
		p := filter.Page
		if p.Offset < 0 || p.Limit < 1 || p.Limit > ward.MaxLimit {
			return nil, 0, ward.Errorf(ward.EINTERNAL, "page %+v reached the store", p)
		}
		if filter.Status != nil && !filter.Status.Valid() || filter.Type != nil && !filter.Type.Valid() || filter.Tag != nil && !ward.ValidTag(*filter.Tag) {
			return nil, 0, ward.Errorf(ward.EINTERNAL, "invalid filter %+v reached the store", filter)
		}
		return nil, 0, nil
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, " #\r\n\x00") || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
			t.Skip("not a request-line query string")
		}
		w := s.Do(t, "GET", "/api/v1/tasks?"+raw, "")
		checkFuzzResponse(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), http.StatusOK)
	})
}
