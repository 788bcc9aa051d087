package ehrdemo_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wardhq/ward/ehrdemo"
)

// FuzzSearch sends arbitrary searches and checks that every answer is a
// well-formed FHIR response with an expected status: never a panic, never a 500.
func FuzzSearch(f *testing.F) {
	for _, seed := range []struct {
		typ, query string
		post       bool
	}{
		{"Observation", "patient=x&_count=7", false},
		{"Condition", "code=http://snomed.info/sct|444814009,J01.90&onset-date=ge2020-01", false},
		{"Patient", "name:contains=art&birthdate=sa1950&_sort=-birthdate", true},
		{"Encounter", "date=eb2021-01-01T10:00:00%2B01:00&class=EMER&_offset=3", false},
		{"DocumentReference", "encounter=Encounter/abc&type:not=|x&_summary=count", true},
		{"Patient", "family=%zz", false},
		{"Claim", "created=ap2020&use:missing=true", false},
	} {
		f.Add(seed.typ, seed.query, seed.post)
	}
	s, err := ehrdemo.New(ehrdemo.Options{BaseURL: "http://ehr.test"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ, query string, post bool) {
		req := &http.Request{Method: "GET", URL: &url.URL{Path: "/" + typ, RawQuery: query}, Header: http.Header{}, Host: "ehr.test"}
		if post {
			req.Method = "POST"
			req.URL = &url.URL{Path: "/" + typ + "/_search"}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Body = http.NoBody
			if query != "" {
				req.Body = readCloser{strings.NewReader(query)}
			}
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 404, 406:
		case 301, 307, 308: // ServeMux path cleaning
			return
		default:
			t.Fatalf("%s %s?%s: status %d: %s", req.Method, req.URL.Path, query, rec.Code, rec.Body.Bytes())
		}
		var r struct {
			ResourceType string `json:"resourceType"`
			Total        *int   `json:"total"`
			Entry        []json.RawMessage
			Issue        []struct{ Code, Diagnostics string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("invalid JSON (%v): %.200s", err, rec.Body.Bytes())
		}
		switch {
		case rec.Code == 200 && (r.ResourceType != "Bundle" || r.Total == nil || len(r.Entry) > 200 || len(r.Entry) > *r.Total):
			t.Fatalf("bad Bundle: %.300s", rec.Body.Bytes())
		case rec.Code != 200 && (r.ResourceType != "OperationOutcome" || len(r.Issue) != 1 || r.Issue[0].Diagnostics == ""):
			t.Fatalf("bad OperationOutcome: %.300s", rec.Body.Bytes())
		}
	})
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
