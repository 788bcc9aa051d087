package gateway_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// mixed is a fake EHR that answers every read with a resource of patient
// B (the other patient) or, for Patient reads, the patient named, and
// every search with a Bundle mixing A's and B's resources.
type mixed struct{ a, b string }

func (m *mixed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/fhir+json")
	switch {
	case len(segs) == 1 && segs[0] != "":
		typ := segs[0]
		fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","total":3,"link":[{"relation":"next","url":"http://evil.example/%s?patient=%s"}],"entry":[{"resource":%s},{"resource":%s},{"resource":{"resourceType":"Patient","id":%q}}]}`,
			typ, m.b, res(typ, "r1", m.a), res(typ, "r2", m.b), m.b)
	case len(segs) >= 2 && segs[0] == "Patient":
		fmt.Fprintf(w, `{"resourceType":"Patient","id":%q,"gender":"female"}`, segs[1])
	case len(segs) >= 2:
		fmt.Fprint(w, res(segs[0], segs[1], m.b))
	default:
		http.NotFound(w, r)
	}
}

func res(typ, id, patient string) string {
	return fmt.Sprintf(`{"resourceType":%q,"id":%q,"subject":{"reference":"Patient/%s"},"patient":{"reference":"Patient/%s"},"beneficiary":{"reference":"Patient/%s"}}`, typ, id, patient, patient, patient)
}

var fuzzMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}

// FuzzGateway drives the whole handler with random paths, queries and
// bodies in front of an EHR that returns the other patient's data
// wherever it can. Property: never a 2xx that holds the other patient's
// id, never a 500.
func FuzzGateway(f *testing.F) {
	m := &mixed{}
	e := newEnv(f, m)
	m.a, m.b = e.patA, "OTHERpatient7"
	if data, err := os.ReadFile("testdata/bypass.tsv"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			c := strings.Split(line, "\t")
			if len(c) != 8 || strings.HasPrefix(line, "#") {
				continue
			}
			mi := byte(0)
			for i, mm := range fuzzMethods {
				if mm == c[2] {
					mi = byte(i)
				}
			}
			f.Add(mi, strings.ReplaceAll(e.expand(c[3]), e.patB, m.b), strings.ReplaceAll(e.expand(c[5]), e.patB, m.b))
		}
	}
	f.Fuzz(func(t *testing.T, mi byte, target, body string) {
		if len(target) == 0 || target[0] != '/' || strings.ContainsAny(target, " \r\n#") {
			return
		}
		method := fuzzMethods[int(mi)%len(fuzzMethods)]
		status, out, _ := e.do(method, target, "tok-w1", "application/x-www-form-urlencoded", body)
		if status == 500 {
			t.Fatalf("500 for %s %q", method, target)
		}
		if status/100 == 2 && bytes.Contains(out, []byte(m.b)) {
			t.Fatalf("%s %q released the other patient: %s", method, target, out)
		}
	})
}
