package http_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
)

// bodyEndpoints are every endpoint that reads a JSON body, with a string
// field of its body to send the wrong type for.
var bodyEndpoints = []struct {
	method, target, stringField string
}{
	{"PUT", "/api/v1/organization", "name"},
	{"POST", "/api/v1/vendors", "name"},
	{"PATCH", "/api/v1/vendors/ven_1", "contact_email"},
	{"POST", "/api/v1/sites", "vendor_id"},
	{"PATCH", "/api/v1/sites/site_1", "time_zone"},
	{"POST", "/api/v1/teams", "site_id"},
	{"PATCH", "/api/v1/teams/team_1", "name"},
	{"POST", "/api/v1/workers", "username"},
	{"PATCH", "/api/v1/workers/wkr_1", "email"},
	{"POST", "/api/v1/workers/wkr_1/transitions", "to"},
	{"POST", "/api/v1/schedules", "time_zone"},
	{"PATCH", "/api/v1/schedules/sch_1", "name"},
	{"POST", "/api/v1/queues", "function"},
	{"PATCH", "/api/v1/queues/que_1", "description"},
	{"POST", "/api/v1/tasks", "patient_ref"},
	{"PATCH", "/api/v1/tasks/task_1", "queue_id"},
	{"POST", "/api/v1/tasks/task_1/transitions", "assignee_id"},
}

// listEndpoints are every list endpoint, with an enumerated filter where
// the list has one.
var listEndpoints = []struct {
	target, enumParam string
}{
	{"/api/v1/vendors", "baa_status"},
	{"/api/v1/sites", "country"},
	{"/api/v1/teams", "function"},
	{"/api/v1/workers", "status"},
	{"/api/v1/schedules", ""},
	{"/api/v1/queues", "function"},
	{"/api/v1/tasks", "tag"},
	{"/api/v1/grants", "live_at"},
	{"/api/v1/sessions", "live_at"},
	{"/api/v1/alerts", "severity"},
	{"/api/v1/submissions", "status"},
}

// TestBadInput sends malformed input to every endpoint that takes input.
// The server must answer before calling a service (the mocks have no
// functions set, so a call would panic and answer 500) with the right
// status and a problem that names the field at fault.
func TestBadInput(t *testing.T) {
	type badCase struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
		detail      string // a substring of the problem's detail
	}
	var tests []struct {
		name, method, target string
		badCase
	}
	add := func(method, target string, c badCase) {
		tests = append(tests, struct {
			name, method, target string
			badCase
		}{method + " " + target + "/" + c.name, method, target, c})
	}
	tooLarge := `{"name":"` + strings.Repeat("a", wardhttp.MaxBodyBytes) + `"}`
	for _, e := range bodyEndpoints {
		for _, c := range []badCase{
			{name: "ErrSyntax", body: `{"name" "x"}`, status: 400, detail: "byte offset 8"},
			{name: "ErrTruncated", body: `{"name":"x"`, status: 400, detail: "ends early"},
			{name: "ErrUnknownField", body: `{"no_such_field":1}`, status: 400, field: "no_such_field"},
			{name: "ErrWrongType", body: fmt.Sprintf(`{%q:12}`, e.stringField), status: 400, field: e.stringField, detail: "must be a string"},
			{name: "ErrTrailingData", body: `{} {}`, status: 400, detail: "after the JSON object"},
			{name: "ErrTrailingGarbage", body: `{}x`, status: 400},
			{name: "ErrEmptyBody", body: "", contentType: "application/json", status: 400, detail: "empty"},
			{name: "ErrWhiteSpaceBody", body: " \n\t", status: 400, detail: "empty"},
			{name: "ErrNotObject", body: `[{"name":"x"}]`, status: 400, detail: "JSON object"},
			{name: "ErrNull", body: `null`, status: 400, detail: "JSON object"},
			{name: "ErrTooLarge", body: tooLarge, status: 413},
			{name: "ErrContentTypeText", body: `{}`, contentType: "text/plain", status: 415},
			{name: "ErrContentTypeForm", body: `a=b`, contentType: "application/x-www-form-urlencoded", status: 415},
			{name: "ErrContentTypeMissing", body: `{}`, contentType: "-", status: 415},
			{name: "ErrContentTypeCharset", body: `{}`, contentType: "application/json; charset=latin1", status: 415},
		} {
			add(e.method, e.target, c)
		}
	}
	// Nested paths are named in full.
	add("POST", "/api/v1/schedules", badCase{name: "ErrNestedType", body: `{"windows":[{"day":"mon","start":"08:00","end":"16:00"},{"day":"tue","start":8}]}`, status: 400, field: "windows[1].start"})
	add("POST", "/api/v1/schedules", badCase{name: "ErrNestedUnknown", body: `{"exceptions":[{"date":"2026-01-01","off":true,"typo":1}]}`, status: 400, field: "exceptions[0].typo"})
	add("POST", "/api/v1/schedules", badCase{name: "ErrNestedDate", body: `{"exceptions":[{"date":"01/02/2026","off":true}]}`, status: 400, field: "exceptions[0].date", detail: "YYYY-MM-DD"})
	add("POST", "/api/v1/vendors", badCase{name: "ErrDate", body: `{"baa_effective":"2026-13-01"}`, status: 400, field: "baa_effective", detail: "YYYY-MM-DD"})
	add("POST", "/api/v1/vendors", badCase{name: "ErrArrayItem", body: `{"approved_countries":["US",7]}`, status: 400, field: "approved_countries[1]"})
	add("POST", "/api/v1/tasks", badCase{name: "ErrTime", body: `{"due_at":"tomorrow"}`, status: 400, field: "due_at", detail: "RFC 3339"})
	add("POST", "/api/v1/tasks", badCase{name: "ErrIntRange", body: `{"priority":1e99}`, status: 400, field: "priority", detail: "integer"})
	add("POST", "/api/v1/tasks", badCase{name: "ErrIntFraction", body: `{"complexity":1.5}`, status: 400, field: "complexity"})
	add("PATCH", "/api/v1/tasks/task_1", badCase{name: "ErrPatchTime", body: `{"due_at":5}`, status: 400, field: "due_at", detail: "RFC 3339"})
	add("PATCH", "/api/v1/workers/wkr_1", badCase{name: "ErrReadOnlyField", body: `{"vendor_id":"ven_2"}`, status: 400, field: "vendor_id"})
	add("PATCH", "/api/v1/tasks/task_1", badCase{name: "ErrStatusNotPatchable", body: `{"status":"completed"}`, status: 400, field: "status"})
	add("POST", "/api/v1/workers", badCase{name: "ErrBool", body: `{"max_tasks":true}`, status: 400, field: "max_tasks"})

	for _, e := range listEndpoints {
		for _, c := range []badCase{
			{name: "ErrLimitNotNumber", body: "?limit=abc", status: 400, field: "limit"},
			{name: "ErrLimitZero", body: "?limit=0", status: 400, field: "limit"},
			{name: "ErrLimitTooLarge", body: fmt.Sprintf("?limit=%d", ward.MaxLimit+1), status: 400, field: "limit"},
			{name: "ErrOffsetNegative", body: "?offset=-1", status: 400, field: "offset"},
			{name: "ErrOffsetNotNumber", body: "?offset=1e3", status: 400, field: "offset"},
			{name: "ErrOffsetOverflow", body: "?offset=99999999999999999999999", status: 400, field: "offset"},
			{name: "ErrRepeated", body: "?limit=1&limit=2", status: 400, field: "limit"},
			{name: "ErrUnknownParam", body: "?vendorid=ven_1", status: 400, field: "vendorid"},
			{name: "ErrMalformed", body: "?id=%zz", status: 400},
		} {
			add("GET", e.target+c.body, c)
		}
		if e.enumParam != "" {
			add("GET", e.target+"?"+e.enumParam+"=Bogus-Value", badCase{name: "ErrEnum", status: 400, field: e.enumParam})
		}
	}
	add("GET", "/api/v1/workers?role=root", badCase{name: "ErrEnum", status: 400, field: "role"})
	add("GET", "/api/v1/tasks?status=done", badCase{name: "ErrEnum", status: 400, field: "status"})
	add("GET", "/api/v1/tasks?type=surgery", badCase{name: "ErrEnum", status: 400, field: "type"})
	add("GET", "/api/v1/alerts?status=closed", badCase{name: "ErrEnum", status: 400, field: "status"})

	s := MustNewServer(t) // no mock function is set: no service may be called
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.method == "GET" {
				body = ""
			}
			var opts []func(*http.Request)
			switch tt.contentType {
			case "":
			case "-":
				opts = append(opts, header("Content-Type", ""))
			default:
				opts = append(opts, header("Content-Type", tt.contentType))
			}
			w := s.Do(t, tt.method, tt.target, body, opts...)
			p := MustProblem(t, w, tt.status)
			if got, want := p.Field, tt.field; got != want {
				t.Fatalf("field=%q, want %q (detail %q)", got, want, p.Detail)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("detail=%q, want it to contain %q", p.Detail, tt.detail)
			}
			if got, want := p.Instance, strings.SplitN(tt.target, "?", 2)[0]; got != want {
				t.Fatalf("instance=%q, want %q", got, want)
			}
		})
	}
	if n := len(tests); n < 300 {
		t.Fatalf("only %d cases", n)
	}
}

// TestBadInput_DomainField checks that a validation error from the store
// reaches the client with its field.
func TestBadInput_DomainField(t *testing.T) {
	s := MustNewServer(t)
	s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error { return v.Validate() }
	w := s.Do(t, "POST", "/api/v1/vendors", `{"name":"Acme","baa_status":"pending","approved_countries":["US","XX"]}`)
	p := MustProblem(t, w, http.StatusBadRequest)
	if got, want := p.Field, "approved_countries[1]"; got != want {
		t.Fatalf("field=%q, want %q", got, want)
	}
	if got, want := p.Type, "https://ward.dev/problems/invalid"; got != want {
		t.Fatalf("type=%q, want %q", got, want)
	}
	if !strings.Contains(p.Detail, "XX") {
		t.Fatalf("detail=%q, want the domain's message", p.Detail)
	}
}

// TestError_Status checks the code → status mapping through a handler.
func TestError_Status(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"Invalid", ward.FieldErrorf("name", "Name is bad."), 400, "Name is bad."},
		{"Unauthorized", ward.Errorf(ward.EUNAUTHORIZED, "Who?"), 401, "Who?"},
		{"Forbidden", ward.Errorf(ward.EFORBIDDEN, "No."), 403, "No."},
		{"NotFound", ward.Errorf(ward.ENOTFOUND, "Vendor not found."), 404, "Vendor not found."},
		{"Conflict", ward.Errorf(ward.ECONFLICT, "Name taken."), 409, "Name taken."},
		{"Unprocessable", ward.Errorf(ward.EUNPROCESSABLE, "Cannot move."), 422, "Cannot move."},
		{"Internal", ward.Errorf(ward.EINTERNAL, "db password=hunter2"), 500, "Internal error."},
		{"NotImplemented", ward.Errorf(ward.ENOTIMPLEMENTED, "Not in this build."), 501, "Not in this build."},
		{"Unavailable", ward.Errorf(ward.EUNAVAILABLE, "Try later."), 503, "Try later."},
		{"Plain", errors.New("pq: password=hunter2"), 500, "Internal error."},
		{"Wrapped", fmt.Errorf("find vendor: %w", ward.Errorf(ward.ENOTFOUND, "Vendor not found.")), 404, "Vendor not found."},
		{"UnknownCode", ward.Errorf("teapot", "hunter2"), 500, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustNewServer(t)
			s.Vendors.FindVendorByIDFn = func(ctx context.Context, id string) (*ward.Vendor, error) { return nil, tt.err }
			w := s.Do(t, "GET", "/api/v1/vendors/ven_1", "")
			p := MustProblem(t, w, tt.status)
			if got, want := p.Detail, tt.detail; got != want {
				t.Fatalf("detail=%q, want %q", got, want)
			}
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Fatalf("internal detail leaked: %s", w.Body.String())
			}
			if got, want := p.Instance, "/api/v1/vendors/ven_1"; got != want {
				t.Fatalf("instance=%q, want %q", got, want)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") != `Bearer realm="ward"` {
				t.Fatalf("WWW-Authenticate=%q", w.Header().Get("WWW-Authenticate"))
			}
			if logged := strings.Contains(s.Logs.String(), "hunter2"); logged != (tt.status == 500) {
				t.Fatalf("internal error logged=%v, want %v:\n%s", logged, tt.status == 500, s.Logs.String())
			}
		})
	}
}

func TestError_Routes(t *testing.T) {
	s := MustNewServer(t)
	t.Run("NotFound", func(t *testing.T) {
		for _, target := range []string{"/api/v1/nope", "/api/v1/vendors/ven_1/nope", "/api/v1/"} {
			p := MustProblem(t, s.Do(t, "GET", target, ""), http.StatusNotFound)
			if got, want := p.Type, "https://ward.dev/problems/not_found"; got != want {
				t.Fatalf("type=%q, want %q", got, want)
			}
		}
	})
	t.Run("NotFoundNeedsAuth", func(t *testing.T) {
		// Unauthenticated clients cannot map the API.
		MustProblem(t, s.Do(t, "GET", "/api/v1/nope", "", header("Authorization", "")), http.StatusUnauthorized)
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		tests := []struct{ method, target, allow string }{
			{"DELETE", "/api/v1/vendors/ven_1", "GET, HEAD, PATCH"},
			{"PUT", "/api/v1/vendors", "GET, HEAD, POST"},
			{"POST", "/api/v1/organization", "GET, HEAD, PUT"},
			{"GET", "/api/v1/workers/wkr_1/transitions", "POST"},
			{"BREW", "/api/v1/tasks", "GET, HEAD, POST"},
		}
		for _, tt := range tests {
			w := s.Do(t, tt.method, tt.target, "")
			p := MustProblem(t, w, http.StatusMethodNotAllowed)
			if got, want := w.Header().Get("Allow"), tt.allow; got != want {
				t.Fatalf("%s %s: Allow=%q, want %q", tt.method, tt.target, got, want)
			}
			if got, want := p.Type, "https://ward.dev/problems/method_not_allowed"; got != want {
				t.Fatalf("type=%q, want %q", got, want)
			}
		}
	})
}

// TestBadInput_TooLargeStreamed checks the body limit when the client
// sends no Content-Length, so the server finds out while reading.
func TestBadInput_TooLargeStreamed(t *testing.T) {
	s := MustNewServer(t)
	body := `{"name":"` + strings.Repeat("a", wardhttp.MaxBodyBytes) + `"}`
	w := s.Do(t, "POST", "/api/v1/vendors", body, func(r *http.Request) { r.ContentLength = -1 })
	MustProblem(t, w, http.StatusRequestEntityTooLarge)
}

// TestBadInput_ContentTypeAccepted lists the content types a body may have.
func TestBadInput_ContentTypeAccepted(t *testing.T) {
	s := MustNewServer(t)
	s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error { v.ID = "ven_1"; return nil }
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"} {
		MustStatus(t, s.Do(t, "POST", "/api/v1/vendors", `{"name":"Acme"}`, header("Content-Type", ct)), http.StatusCreated)
	}
	// merge-patch is for PATCH only.
	MustProblem(t, s.Do(t, "POST", "/api/v1/vendors", `{"name":"Acme"}`, header("Content-Type", "application/merge-patch+json")), http.StatusUnsupportedMediaType)
}
