package ehrdemo_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wardhq/ward/ehrdemo"
)

func TestInteractions(t *testing.T) {
	c := mustServe(t)
	pid := c.srv.Patients()[0].ID
	for _, test := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
		issue                    string // OperationOutcome issue code; "" for success
	}{
		{name: "Read/OK", method: "GET", path: "/Patient/" + pid, status: 200},
		{name: "Read/Head", method: "HEAD", path: "/Patient/" + pid, status: 200},
		{name: "Read/ErrUnknownID", method: "GET", path: "/Patient/no-such-id", status: 404, issue: "not-found"},
		{name: "Read/ErrUnknownType", method: "GET", path: "/Widget/1", status: 404, issue: "not-supported"},
		{name: "Read/ErrParam", method: "GET", path: "/Patient/" + pid + "?_elements=id", status: 400, issue: "not-supported"},
		{name: "VRead/OK", method: "GET", path: "/Patient/" + pid + "/_history/1", status: 200},
		{name: "VRead/ErrUnknownVersion", method: "GET", path: "/Patient/" + pid + "/_history/2", status: 404, issue: "not-found"},
		{name: "VRead/ErrUnknownID", method: "GET", path: "/Patient/nope/_history/1", status: 404, issue: "not-found"},
		{name: "Search/OK", method: "GET", path: "/Patient?gender=female", status: 200},
		{name: "Search/ErrUnknownType", method: "GET", path: "/Widget?x=1", status: 404, issue: "not-supported"},
		{name: "Search/ErrUnknownParam", method: "GET", path: "/Patient?colour=blue", status: 400, issue: "not-supported"},
		{name: "Search/ErrParamOfOtherType", method: "GET", path: "/Patient?code=123", status: 400, issue: "not-supported"},
		{name: "Search/ErrInclude", method: "GET", path: "/Encounter?_include=Encounter:patient", status: 400, issue: "not-supported"},
		{name: "Search/ErrChain", method: "GET", path: "/Encounter?patient.name=Smith", status: 400, issue: "not-supported"},
		{name: "Search/ErrModifier", method: "GET", path: "/Patient?gender:text=female", status: 400, issue: "not-supported"},
		{name: "Search/ErrMissingValue", method: "GET", path: "/Patient?gender:missing=maybe", status: 400, issue: "invalid"},
		{name: "Search/ErrDate", method: "GET", path: "/Patient?birthdate=1999-13-01", status: 400, issue: "invalid"},
		{name: "Search/ErrDatePrefix", method: "GET", path: "/Patient?birthdate=xx1999", status: 400, issue: "invalid"},
		{name: "Search/ErrToken", method: "GET", path: "/Condition?code=" + q("a|b|c"), status: 400, issue: "invalid"},
		{name: "Search/ErrEmptyToken", method: "GET", path: "/Condition?code=" + q("|"), status: 400, issue: "invalid"},
		{name: "Search/ErrCount", method: "GET", path: "/Patient?_count=ten", status: 400, issue: "invalid"},
		{name: "Search/ErrNegativeCount", method: "GET", path: "/Patient?_count=-1", status: 400, issue: "invalid"},
		{name: "Search/ErrOffset", method: "GET", path: "/Patient?_offset=-5", status: 400, issue: "invalid"},
		{name: "Search/ErrRepeatedCount", method: "GET", path: "/Patient?_count=1&_count=2", status: 400, issue: "invalid"},
		{name: "Search/ErrSort", method: "GET", path: "/Encounter?_sort=patient", status: 400, issue: "not-supported"},
		{name: "Search/ErrSummary", method: "GET", path: "/Patient?_summary=text", status: 400, issue: "not-supported"},
		{name: "Search/ErrEscape", method: "GET", path: "/Patient?family=" + q(`a\`), status: 400, issue: "invalid"},
		{name: "Search/ErrQueryEncoding", method: "GET", path: "/Patient?family=%zz", status: 400, issue: "invalid"},
		{name: "Format/JSON", method: "GET", path: "/Patient/" + pid + "?_format=json", status: 200},
		{name: "Format/FHIRJSON", method: "GET", path: "/Patient?_format=" + q("application/fhir+json"), status: 200},
		{name: "Format/ErrXML", method: "GET", path: "/Patient/" + pid + "?_format=xml", status: 406, issue: "not-supported"},
		{name: "Format/ErrXMLSearch", method: "GET", path: "/Patient?_format=" + q("application/fhir+xml"), status: 406, issue: "not-supported"},
		{name: "Accept/ErrXML", method: "GET", path: "/Patient/" + pid, header: []string{"Accept", "application/fhir+xml"}, status: 406, issue: "not-supported"},
		{name: "Accept/ErrJSONRefused", method: "GET", path: "/Patient/" + pid, header: []string{"Accept", "application/fhir+xml, application/json;q=0"}, status: 406, issue: "not-supported"},
		{name: "Accept/Browser", method: "GET", path: "/Patient/" + pid, header: []string{"Accept", "text/html,application/xml;q=0.9,*/*;q=0.8"}, status: 200},
		{name: "Accept/Empty", method: "GET", path: "/Patient/" + pid, header: []string{"Accept", ""}, status: 200},
		{name: "Accept/JSON", method: "GET", path: "/Patient/" + pid, header: []string{"Accept", "application/json"}, status: 200},
		{name: "Create/ErrMethod", method: "POST", path: "/Patient", body: `{"resourceType":"Patient"}`, header: []string{"Content-Type", "application/fhir+json"}, status: 405, issue: "not-supported"},
		{name: "Update/ErrMethod", method: "PUT", path: "/Patient/" + pid, body: `{}`, status: 405, issue: "not-supported"},
		{name: "Delete/ErrMethod", method: "DELETE", path: "/Patient/" + pid, status: 405, issue: "not-supported"},
		{name: "Patch/ErrMethod", method: "PATCH", path: "/Patient/" + pid, body: `[]`, status: 405, issue: "not-supported"},
		{name: "Metadata/ErrMethod", method: "POST", path: "/metadata", status: 405, issue: "not-supported"},
		{name: "PostSearch/OK", method: "POST", path: "/Patient/_search", body: "gender=male&_count=3", header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 200},
		{name: "PostSearch/ErrContentType", method: "POST", path: "/Patient/_search", body: `{"gender":"male"}`, header: []string{"Content-Type", "application/json"}, status: 415, issue: "not-supported"},
		{name: "PostSearch/ErrParam", method: "POST", path: "/Patient/_search", body: "shoe=9", header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 400, issue: "not-supported"},
		{name: "GetSearch/OK", method: "GET", path: "/Patient/_search?gender=male", status: 200},
		{name: "Root/ErrNotFound", method: "GET", path: "/", status: 404, issue: "not-found"},
		{name: "History/ErrNotFound", method: "GET", path: "/Patient/" + pid + "/_history", status: 404, issue: "not-found"},
	} {
		t.Run(test.name, func(t *testing.T) {
			code, h, body := c.do(test.method, test.path, test.body, test.header...)
			if code != test.status {
				t.Fatalf("status=%d, want %d; body: %.300s", code, test.status, body)
			}
			if got, want := h.Get("Content-Type"), "application/fhir+json; charset=utf-8"; got != want {
				t.Errorf("Content-Type=%q, want %q", got, want)
			}
			if test.method == "HEAD" {
				if len(body) != 0 {
					t.Errorf("HEAD body has %d bytes, want 0", len(body))
				}
				return
			}
			if test.issue == "" {
				var r resource
				decode(t, body, &r)
				if r.ResourceType == "" {
					t.Errorf("resourceType missing in %.200s", body)
				}
				return
			}
			var oo struct {
				ResourceType string `json:"resourceType"`
				Issue        []struct {
					Severity    string `json:"severity"`
					Code        string `json:"code"`
					Diagnostics string `json:"diagnostics"`
				} `json:"issue"`
			}
			decode(t, body, &oo)
			if oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 {
				t.Fatalf("got %s, want an OperationOutcome with one issue", body)
			}
			is := oo.Issue[0]
			if is.Severity != "error" || is.Code != test.issue || is.Diagnostics == "" {
				t.Errorf("issue=%+v, want severity error, code %q and diagnostics", is, test.issue)
			}
			if code == 405 && h.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
}

func TestRead(t *testing.T) {
	c := mustServe(t)
	p := c.srv.Patients()[0]
	code, h, body := c.do("GET", "/Patient/"+p.ID, "")
	if code != 200 {
		t.Fatalf("status=%d, want 200", code)
	}
	var r resource
	decode(t, body, &r)
	if r.ResourceType != "Patient" || r.ID != p.ID {
		t.Errorf("got %s/%s, want Patient/%s", r.ResourceType, r.ID, p.ID)
	}
	if got, want := r.Meta.VersionID, "1"; got != want {
		t.Errorf("meta.versionId=%q, want %q", got, want)
	}
	if r.Meta.LastUpdated == "" {
		t.Errorf("meta.lastUpdated is empty")
	}
	if got, want := h.Get("ETag"), `W/"1"`; got != want {
		t.Errorf("ETag=%q, want %q", got, want)
	}
	_, _, vbody := c.do("GET", "/Patient/"+p.ID+"/_history/1", "")
	if string(vbody) != string(body) {
		t.Errorf("vread body differs from read body")
	}
	pretty := c.get("/Patient/" + p.ID + "?_pretty=true")
	if !strings.Contains(string(pretty), "\n  \"id\"") {
		t.Errorf("_pretty=true output is not indented: %.100s", pretty)
	}
}

func TestMetadata(t *testing.T) {
	c := mustServe(t)
	var cs struct {
		ResourceType string   `json:"resourceType"`
		FHIRVersion  string   `json:"fhirVersion"`
		Format       []string `json:"format"`
		Rest         []struct {
			Mode     string `json:"mode"`
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				SearchParam []struct {
					Name, Type string
				} `json:"searchParam"`
			} `json:"resource"`
		} `json:"rest"`
	}
	decode(t, c.get("/metadata"), &cs)
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || !slices.Equal(cs.Format, []string{"json"}) {
		t.Fatalf("got %s %s %v, want CapabilityStatement 4.0.1 [json]", cs.ResourceType, cs.FHIRVersion, cs.Format)
	}
	types := map[string]bool{}
	for _, r := range cs.Rest[0].Resource {
		types[r.Type] = true
		var ints []string
		for _, i := range r.Interaction {
			ints = append(ints, i.Code)
		}
		if !slices.Equal(ints, []string{"read", "vread", "search-type"}) {
			t.Errorf("%s interactions=%v, want read, vread, search-type", r.Type, ints)
		}
		if len(r.SearchParam) < 4 {
			t.Errorf("%s has %d search params, want at least the 4 common ones", r.Type, len(r.SearchParam))
		}
	}
	for _, want := range []string{"Patient", "Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "DiagnosticReport", "DocumentReference", "Claim", "ExplanationOfBenefit", "Immunization", "Organization", "Practitioner"} {
		if !types[want] {
			t.Errorf("CapabilityStatement lacks %s", want)
		}
	}
}

// busiestPatient returns the patient with the most Observations.
func busiestPatient(c *client) (string, int) {
	best, n := "", -1
	for _, p := range c.srv.Patients() {
		if t := c.total("/Observation?patient=" + p.ID + "&_summary=count"); t > n {
			best, n = p.ID, t
		}
	}
	return best, n
}

func TestPaging(t *testing.T) {
	c := mustServe(t)
	pid, want := busiestPatient(c)
	if want < 30 {
		t.Fatalf("busiest patient has %d observations, want at least 30 for a useful walk", want)
	}
	first := "/Observation?patient=" + pid + "&_count=7"

	// Forward through every page.
	var pages [][]string
	seen := map[string]bool{}
	next := first
	for next != "" {
		b := c.search(next)
		if got := *b.Total; got != want {
			t.Fatalf("total=%d on %s, want %d", got, next, want)
		}
		if len(b.Entry) > 7 {
			t.Fatalf("page has %d entries, want at most 7", len(b.Entry))
		}
		for _, rel := range []string{"self", "first", "last"} {
			if b.link(rel) == "" {
				t.Fatalf("page %d lacks a %s link", len(pages), rel)
			}
		}
		if u := b.link("self"); !strings.Contains(u, "patient="+pid) || !strings.Contains(u, "_count=7") {
			t.Errorf("self link %q does not repeat the query", u)
		}
		var ids []string
		for _, e := range b.Entry {
			var r resource
			decode(t, e.Resource, &r)
			if seen[r.ID] {
				t.Fatalf("Observation/%s appears twice", r.ID)
			}
			seen[r.ID] = true
			ids = append(ids, r.ID)
			if got, want := e.FullURL, c.base+"/Observation/"+r.ID; got != want {
				t.Errorf("fullUrl=%q, want %q", got, want)
			}
			if e.Search.Mode != "match" {
				t.Errorf("search.mode=%q, want match", e.Search.Mode)
			}
			if got, want := r.Subject.Reference, "Patient/"+pid; got != want {
				t.Errorf("subject=%q, want %q", got, want)
			}
		}
		pages = append(pages, ids)
		next = b.link("next")
		if len(pages) > want {
			t.Fatal("next links do not end")
		}
	}
	if got := len(seen); got != want {
		t.Fatalf("walked %d resources, want total %d", got, want)
	}

	// Backward from the last page through previous links.
	last := c.search(first).link("last")
	prev := last
	for i := len(pages) - 1; i >= 0; i-- {
		if prev == "" {
			t.Fatalf("page %d has no previous link", i+1)
		}
		b := c.search(prev)
		var ids []string
		for _, e := range b.Entry {
			var r resource
			decode(t, e.Resource, &r)
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, pages[i]) {
			t.Fatalf("page %d going back=%v, want %v", i, ids, pages[i])
		}
		prev = b.link("previous")
	}
	if prev != "" {
		t.Errorf("first page has a previous link %q", prev)
	}

	// POST _search returns the same first page.
	code, _, body := c.do("POST", "/Observation/_search", "patient="+pid+"&_count=7", "Content-Type", "application/x-www-form-urlencoded")
	if code != 200 {
		t.Fatalf("POST _search status=%d", code)
	}
	var pb bundle
	decode(t, body, &pb)
	if got := *pb.Total; got != want || len(pb.Entry) != len(pages[0]) {
		t.Errorf("POST _search total=%d entries=%d, want %d and %d", got, len(pb.Entry), want, len(pages[0]))
	}
}

func TestPagingEdges(t *testing.T) {
	c := mustServe(t)
	total := c.total("/Encounter?_summary=count")
	for _, test := range []struct {
		name    string
		query   string
		entries int
	}{
		{"CountZero", "_count=0", 0},
		{"SummaryCount", "_summary=count", 0},
		{"OffsetBeyondEnd", fmt.Sprintf("_offset=%d", total+5), 0},
		{"CountCapped", "_count=100000", 200},
		{"LastPartial", fmt.Sprintf("_count=50&_offset=%d", total/50*50), total % 50},
	} {
		t.Run(test.name, func(t *testing.T) {
			b := c.search("/Encounter?" + test.query)
			if got := *b.Total; got != total {
				t.Errorf("total=%d, want %d", got, total)
			}
			if got := len(b.Entry); got != test.entries {
				t.Errorf("entries=%d, want %d", got, test.entries)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	s, err := ehrdemo.New(ehrdemo.Options{BaseURL: "https://ehr.example/fhir/"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/Patient?_count=1", nil))
	var b bundle
	decode(t, rec.Body.Bytes(), &b)
	if got := b.link("next"); !strings.HasPrefix(got, "https://ehr.example/fhir/Patient?") {
		t.Errorf("next link=%q, want it under the BaseURL", got)
	}
	if got := b.Entry[0].FullURL; !strings.HasPrefix(got, "https://ehr.example/fhir/Patient/") {
		t.Errorf("fullUrl=%q, want it under the BaseURL", got)
	}
	for _, bad := range []string{"ehr.example", "ftp://x/y", "http:///x", "http://x/?a=b"} {
		if _, err := ehrdemo.New(ehrdemo.Options{BaseURL: bad}); err == nil {
			t.Errorf("New(BaseURL=%q) succeeded, want an error", bad)
		}
	}
}

// generic decodes resources into maps for the search oracle.
func generic(tb testing.TB, raws []json.RawMessage) []map[string]any {
	var out []map[string]any
	for _, r := range raws {
		var m map[string]any
		decode(tb, r, &m)
		out = append(out, m)
	}
	return out
}

// path walks a decoded resource: path(m, "a", "b") collects every string
// (or other scalar) at a.b, descending into arrays.
func path(v any, keys ...string) []string {
	if len(keys) == 0 {
		switch x := v.(type) {
		case string:
			return []string{x}
		case []any:
			var out []string
			for _, e := range x {
				out = append(out, path(e)...)
			}
			return out
		case nil:
			return nil
		default:
			return []string{fmt.Sprint(x)}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return path(x[keys[0]], keys[1:]...)
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, path(e, keys...)...)
		}
		return out
	}
	return nil
}

// codings returns "system|code" for every coding under keys.
func codings(m map[string]any, keys ...string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if cs, ok := x["coding"].([]any); ok {
				for _, c := range cs {
					cm := c.(map[string]any)
					s, _ := cm["system"].(string)
					k, _ := cm["code"].(string)
					out = append(out, s+"|"+k)
				}
			}
		}
	}
	cur := []any{m}
	for _, k := range keys {
		var nxt []any
		for _, c := range cur {
			switch x := c.(type) {
			case map[string]any:
				if v, ok := x[k]; ok {
					nxt = append(nxt, v)
				}
			case []any:
				for _, e := range x {
					if em, ok := e.(map[string]any); ok {
						if v, ok := em[k]; ok {
							nxt = append(nxt, v)
						}
					}
				}
			}
		}
		cur = nxt
	}
	for _, c := range cur {
		walk(c)
	}
	return out
}

func anyOf(vals []string, f func(string) bool) bool {
	return slices.ContainsFunc(vals, f)
}

func prefixFold(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(strings.ToLower(s), strings.ToLower(p)) }
}

func TestSearchParameters(t *testing.T) {
	c := mustServe(t)
	all := map[string][]map[string]any{}
	everything := func(typ string) []map[string]any {
		if all[typ] == nil {
			all[typ] = generic(t, c.all("/"+typ+"?_count=200"))
		}
		return all[typ]
	}
	sensitive := ""
	for _, e := range c.srv.Encounters() {
		if len(e.Security) > 0 {
			sensitive = e.ID
			break
		}
	}
	carter := ehrdemo.Lookalikes[2].PatientID
	names := func(m map[string]any) []string {
		return append(append(path(m, "name", "family"), path(m, "name", "given")...), append(path(m, "name", "prefix"), path(m, "name", "suffix")...)...)
	}
	has := func(list []string, s string) bool { return slices.Contains(list, s) }
	for _, test := range []struct {
		name, typ, query string
		match            func(m map[string]any) bool
	}{
		{"Token/Code", "Patient", "gender=female", func(m map[string]any) bool { return m["gender"] == "female" }},
		{"Token/SystemCode", "Patient", "gender=" + q("http://hl7.org/fhir/administrative-gender|male"), func(m map[string]any) bool { return m["gender"] == "male" }},
		{"Token/Or", "Patient", "gender=male,female", func(m map[string]any) bool { return m["gender"] == "male" || m["gender"] == "female" }},
		{"Token/Not", "Condition", "code:not=" + q("http://snomed.info/sct|444814009"), func(m map[string]any) bool {
			return !has(codings(m, "code"), "http://snomed.info/sct|444814009")
		}},
		{"Token/SNOMED", "Condition", "code=" + q("http://snomed.info/sct|444814009"), func(m map[string]any) bool {
			return has(codings(m, "code"), "http://snomed.info/sct|444814009")
		}},
		{"Token/ICD10CodeOnly", "Condition", "code=J01.90", func(m map[string]any) bool {
			return has(codings(m, "code"), "http://hl7.org/fhir/sid/icd-10-cm|J01.90")
		}},
		{"Token/SystemOnly", "Condition", "code=" + q("http://hl7.org/fhir/sid/icd-10-cm|"), func(m map[string]any) bool {
			return anyOf(codings(m, "code"), func(s string) bool { return strings.HasPrefix(s, "http://hl7.org/fhir/sid/icd-10-cm|") })
		}},
		{"Token/NoSystem", "Patient", "deceased=" + q("|true"), func(m map[string]any) bool { return m["deceasedDateTime"] != nil }},
		{"Token/NoSystemNoMatch", "Condition", "code=" + q("|444814009") + "&_id:missing=false", nil},
		{"Token/Identifier", "Patient", "identifier=" + q("http://hl7.org/fhir/sid/us-ssn|"), func(m map[string]any) bool {
			return has(path(m, "identifier", "system"), "http://hl7.org/fhir/sid/us-ssn")
		}},
		{"Token/ClinicalStatus", "Condition", "clinical-status=resolved", func(m map[string]any) bool {
			return has(path(m, "clinicalStatus", "coding", "code"), "resolved")
		}},
		{"Token/Missing", "Condition", "category:missing=true", func(m map[string]any) bool { return m["category"] == nil }},
		{"Token/NotMissing", "Condition", "category:missing=false", func(m map[string]any) bool { return m["category"] != nil }},
		{"Token/Class", "Encounter", "class=EMER", func(m map[string]any) bool { return has(path(m, "class", "code"), "EMER") }},
		{"Token/ClassSystem", "Encounter", "class=" + q("http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB"), func(m map[string]any) bool {
			return has(path(m, "class", "code"), "AMB")
		}},
		{"Token/Type", "Encounter", "type=185349003", func(m map[string]any) bool { return has(path(m, "type", "coding", "code"), "185349003") }},
		{"Token/Status", "Encounter", "status=finished", func(m map[string]any) bool { return m["status"] == "finished" }},
		{"Token/Category", "Observation", "category=vital-signs&code=" + q("http://loinc.org|8302-2,http://loinc.org|29463-7"), func(m map[string]any) bool {
			codes := codings(m, "code")
			return has(path(m, "category", "coding", "code"), "vital-signs") && (has(codes, "http://loinc.org|8302-2") || has(codes, "http://loinc.org|29463-7"))
		}},
		{"Token/StatusIntent", "MedicationRequest", "status=stopped&intent=order", func(m map[string]any) bool { return m["status"] == "stopped" && m["intent"] == "order" }},
		{"Token/ReportCategory", "DiagnosticReport", "category=LAB", func(m map[string]any) bool { return has(path(m, "category", "coding", "code"), "LAB") }},
		{"Token/DocType", "DocumentReference", "type=" + q("http://loinc.org|34117-2"), func(m map[string]any) bool {
			return has(path(m, "type", "coding", "code"), "34117-2")
		}},
		{"Token/ClaimUse", "Claim", "use=claim&status=active", func(m map[string]any) bool { return m["use"] == "claim" && m["status"] == "active" }},
		{"Token/Security", "Condition", "_security=" + q("http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R"), func(m map[string]any) bool {
			return has(path(m, "meta", "security", "code"), "R")
		}},
		{"Token/Tag", "Condition", "_tag=" + q("https://ward.dev/fhir/CodeSystem/demo|generated"), func(m map[string]any) bool {
			return has(path(m, "meta", "tag", "code"), "generated")
		}},
		{"Token/ID", "Patient", "_id=" + carter + "," + ehrdemo.Lookalikes[0].PatientID, func(m map[string]any) bool {
			return m["id"] == carter || m["id"] == ehrdemo.Lookalikes[0].PatientID
		}},
		{"String/Prefix", "Patient", "family=sAnT", func(m map[string]any) bool { return anyOf(path(m, "name", "family"), prefixFold("sant")) }},
		{"String/Given", "Patient", "given=ro", func(m map[string]any) bool { return anyOf(path(m, "name", "given"), prefixFold("ro")) }},
		{"String/Exact", "Patient", "name:exact=Maria", func(m map[string]any) bool { return has(names(m), "Maria") }},
		{"String/ExactCase", "Patient", "name:exact=maria", func(m map[string]any) bool { return has(names(m), "maria") }},
		{"String/Contains", "Patient", "name:contains=ART", func(m map[string]any) bool {
			return anyOf(names(m), func(s string) bool { return strings.Contains(strings.ToLower(s), "art") })
		}},
		{"String/AddressCity", "Patient", "address-city=springfield", func(m map[string]any) bool { return anyOf(path(m, "address", "city"), prefixFold("springfield")) }},
		{"String/OrgName", "Organization", "name=mercy", func(m map[string]any) bool { return anyOf(path(m, "name"), prefixFold("mercy")) }},
		{"Date/Year", "Patient", "birthdate=1951", func(m map[string]any) bool { return strings.HasPrefix(m["birthDate"].(string), "1951") }},
		{"Date/Or", "Patient", "birthdate=1951,1968-03", func(m map[string]any) bool {
			b := m["birthDate"].(string)
			return strings.HasPrefix(b, "1951") || strings.HasPrefix(b, "1968-03")
		}},
		{"Date/AndRange", "Patient", "birthdate=ge1980-01-01&birthdate=lt2000", func(m map[string]any) bool {
			b := m["birthDate"].(string)
			return b >= "1980-01-01" && b < "2000"
		}},
		{"Date/Ne", "Patient", "birthdate=ne1951-06-14", func(m map[string]any) bool { return m["birthDate"] != "1951-06-14" }},
		{"Date/StartsAfter", "Encounter", "date=sa2021-01-01", func(m map[string]any) bool { return path(m, "period", "start")[0] >= "2021-01-02" }},
		{"Date/EndsBefore", "Encounter", "date=eb1950", func(m map[string]any) bool { return path(m, "period", "end")[0] < "1950" }},
		{"Date/Gt", "Encounter", "date=gt2020-12-25", func(m map[string]any) bool { return path(m, "period", "end")[0] >= "2020-12-26" }},
		{"Date/Le", "Procedure", "date=le2000-06", func(m map[string]any) bool {
			s := append(path(m, "performedPeriod", "start"), path(m, "performedDateTime")...)
			return s[0] < "2000-07"
		}},
		{"Date/Day", "Observation", "date=2011-11-07", func(m map[string]any) bool { return strings.HasPrefix(path(m, "effectiveDateTime")[0], "2011-11-07") }},
		{"Date/Authored", "MedicationRequest", "authoredon=gt2015", func(m map[string]any) bool { return path(m, "authoredOn")[0] >= "2016" }},
		{"Date/Created", "Claim", "created=2020", func(m map[string]any) bool { return strings.HasPrefix(path(m, "created")[0], "2020") }},
		{"Date/OnsetWithTime", "Condition", "onset-date=ge" + q("2021-05-01T00:00:00+00:00"), func(m map[string]any) bool { return path(m, "onsetDateTime")[0] >= "2021-05-01" }},
		{"Date/LastUpdated", "Condition", "_lastUpdated=gt2021-05-01", func(m map[string]any) bool { return path(m, "meta", "lastUpdated")[0] >= "2021-05-02" }},
		{"Date/LastUpdatedFixed", "Patient", "_lastUpdated=2026-01-01", func(m map[string]any) bool { return strings.HasPrefix(path(m, "meta", "lastUpdated")[0], "2026-01-01") }},
		{"Date/LastUpdatedExact", "Condition", "_lastUpdated=" + q("2021-05-04T14:00:00Z"), func(m map[string]any) bool { return path(m, "meta", "lastUpdated")[0] == "2021-05-04T14:00:00Z" }},
		{"Reference/Bare", "Encounter", "patient=" + carter, func(m map[string]any) bool { return path(m, "subject", "reference")[0] == "Patient/"+carter }},
		{"Reference/Typed", "Encounter", "subject=Patient/" + carter, func(m map[string]any) bool { return path(m, "subject", "reference")[0] == "Patient/"+carter }},
		{"Reference/Modifier", "Observation", "subject:Patient=" + carter, func(m map[string]any) bool { return path(m, "subject", "reference")[0] == "Patient/"+carter }},
		{"Reference/Absolute", "Condition", "patient=" + q("http://other.example/fhir/Patient/"+carter), func(m map[string]any) bool {
			return path(m, "subject", "reference")[0] == "Patient/"+carter
		}},
		{"Reference/Encounter", "DocumentReference", "encounter=Encounter/" + sensitive, func(m map[string]any) bool {
			return has(path(m, "context", "encounter", "reference"), "Encounter/"+sensitive)
		}},
		{"Reference/ClaimPatient", "ExplanationOfBenefit", "patient=" + c.srv.Patients()[0].ID + "&status=active", func(m map[string]any) bool {
			return path(m, "patient", "reference")[0] == "Patient/"+c.srv.Patients()[0].ID && m["status"] == "active"
		}},
		{"Reference/Immunization", "Immunization", "patient=" + c.srv.Patients()[0].ID + "&date=ge2015", func(m map[string]any) bool {
			return path(m, "patient", "reference")[0] == "Patient/"+c.srv.Patients()[0].ID && path(m, "occurrenceDateTime")[0] >= "2015"
		}},
		{"Empty/Ignored", "Patient", "family=&gender=female", func(m map[string]any) bool { return m["gender"] == "female" }},
	} {
		t.Run(test.name, func(t *testing.T) {
			var want []string
			for _, m := range everything(test.typ) {
				if test.match != nil && test.match(m) {
					want = append(want, m["id"].(string))
				}
			}
			got := generic(t, c.all("/"+test.typ+"?"+test.query+"&_count=200"))
			var gotIDs []string
			for _, m := range got {
				gotIDs = append(gotIDs, m["id"].(string))
			}
			if total := c.total("/" + test.typ + "?" + test.query + "&_summary=count"); total != len(want) {
				t.Errorf("total=%d, want %d", total, len(want))
			}
			sort.Strings(gotIDs)
			sort.Strings(want)
			if !slices.Equal(gotIDs, want) {
				t.Errorf("%s?%s matched %d resources, want %d", test.typ, test.query, len(gotIDs), len(want))
			}
			if len(want) == 0 && test.match != nil && !strings.Contains(test.name, "Exact") {
				t.Errorf("oracle matched nothing; the case tests nothing")
			}
		})
	}
}

func TestSort(t *testing.T) {
	c := mustServe(t)
	pid := c.srv.Patients()[3].ID
	for _, test := range []struct {
		query string
		key   func(m map[string]any) string
		desc  bool
	}{
		{"_sort=date", func(m map[string]any) string { return path(m, "period", "start")[0] }, false},
		{"_sort=-date", func(m map[string]any) string { return path(m, "period", "end")[0] }, true},
		{"_sort=-_lastUpdated", func(m map[string]any) string { return path(m, "meta", "lastUpdated")[0] }, true},
		{"_sort=_id", func(m map[string]any) string { return m["id"].(string) }, false},
	} {
		t.Run(test.query, func(t *testing.T) {
			ms := generic(t, c.all("/Encounter?patient="+pid+"&"+test.query))
			if len(ms) < 3 {
				t.Fatalf("only %d encounters", len(ms))
			}
			for i := 1; i < len(ms); i++ {
				a, b := test.key(ms[i-1]), test.key(ms[i])
				if (!test.desc && a > b) || (test.desc && a < b) {
					t.Fatalf("entry %d key %q then %q: wrong order", i, a, b)
				}
			}
		})
	}
}

// TestReferencesResolve checks that every reference in every resource is
// relative and reads back, and that every Encounter's subject is a Patient.
func TestReferencesResolve(t *testing.T) {
	c := mustServe(t)
	var cs struct {
		Rest []struct {
			Resource []struct {
				Type string `json:"type"`
			} `json:"resource"`
		} `json:"rest"`
	}
	decode(t, c.get("/metadata"), &cs)
	refs := map[string]bool{}
	for _, r := range cs.Rest[0].Resource {
		for _, raw := range c.all("/" + r.Type + "?_count=200") {
			if strings.Contains(string(raw), "urn:uuid:") {
				t.Fatalf("%s still has a urn:uuid reference: %.200s", r.Type, raw)
			}
			var m any
			decode(t, raw, &m)
			collectRefs(m, refs)
		}
	}
	for _, e := range generic(t, c.all("/Encounter?_count=200")) {
		ref := path(e, "subject", "reference")
		if len(ref) != 1 || !strings.HasPrefix(ref[0], "Patient/") {
			t.Fatalf("Encounter/%s subject=%v, want one Patient reference", e["id"], ref)
		}
		refs[ref[0]] = true
	}
	if len(refs) < 1000 {
		t.Fatalf("found only %d distinct references", len(refs))
	}
	for ref := range refs {
		if strings.HasPrefix(ref, "#") {
			continue
		}
		if u, err := url.Parse(ref); err != nil || u.IsAbs() || strings.Count(ref, "/") != 1 {
			t.Fatalf("reference %q is not relative Type/id", ref)
		}
		if code, _, _ := c.do("GET", "/"+ref, ""); code != http.StatusOK {
			t.Errorf("GET %s: status=%d, want 200", ref, code)
		}
	}
}

func collectRefs(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" {
				out[s] = true
				continue
			}
			collectRefs(e, out)
		}
	case []any:
		for _, e := range x {
			collectRefs(e, out)
		}
	}
}
