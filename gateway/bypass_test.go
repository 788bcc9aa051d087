package gateway_test

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

type bypassCase struct {
	name, token, method, target, ctype, body string
	status                                   int
	reason                                   string
	line                                     int
}

func readBypass(t *testing.T) []bypassCase {
	t.Helper()
	f, err := os.Open("testdata/bypass.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []bypassCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("bypass.tsv:%d: %d columns, want 8", n, len(c))
		}
		st, err := strconv.Atoi(c[6])
		if err != nil {
			t.Fatalf("bypass.tsv:%d: status: %v", n, err)
		}
		out = append(out, bypassCase{c[0], c[1], c[2], c[3], c[4], c[5], st, c[7], n})
	}
	return out
}

func (e *env) expand(s string) string {
	var many []string
	for i := 0; i < 120; i++ {
		many = append(many, "patient=Patient/"+e.patA)
	}
	return strings.NewReplacer(
		"{A}", e.patA, "{B}", e.patB, "{encA}", e.encA, "{encB}", e.encB,
		"{condA}", e.condA, "{condB}", e.condB, "{obsA}", e.obsA, "{obsB}", e.obsB, "{docB}", e.docB,
		"{UP}", e.up.URL+"/fhir", "{LONG}", strings.Repeat("a", 3000), "{MANY}", strings.Join(many, "&"),
	).Replace(s)
}

// TestBypass runs the table of bypass attempts in testdata/bypass.tsv
// against the demo EHR: each gets its status and reason, no denial carries
// another patient's data, and every request gets exactly one audit event.
func TestBypass(t *testing.T) {
	e := newEnv(t, nil)
	cases := readBypass(t)
	if n := 0; true {
		for _, c := range cases {
			if c.status != 200 {
				n++
			}
		}
		if n < 60 {
			t.Fatalf("%d bypass attempts, want at least 60", n)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.aud.count()
			status, body, h := e.do(c.method, e.expand(c.target), c.token, c.ctype, e.expand(c.body))
			got := reason(body)
			if c.method == "HEAD" && len(body) == 0 && e.aud.last() != nil && len(e.aud.last().Outcome.Reasons) > 0 {
				got = e.aud.last().Outcome.Reasons[0] // no body: the audit says why
			}
			if status != c.status || got != c.reason {
				t.Fatalf("bypass.tsv:%d: status=%d reason=%q, want %d %q\n%.300s", c.line, status, got, c.status, c.reason, body)
			}
			if got, want := e.aud.count()-before, 1; got != want {
				t.Fatalf("%d audit events, want %d", got, want)
			}
			ev := e.aud.last()
			if c.status != 200 {
				if ev.Action != "fhir.denied" || len(ev.Outcome.Reasons) == 0 || ev.Outcome.Reasons[0] != c.reason {
					t.Fatalf("audit action=%s reasons=%v, want fhir.denied [%s ...]", ev.Action, ev.Outcome.Reasons, c.reason)
				}
				if bytes.Contains(body, []byte(e.patB)) {
					t.Fatalf("denial names patient B: %s", body)
				}
			} else if ev.Outcome.Decision != "permit" || ev.Details["sha256"] == "" {
				t.Fatalf("audit decision=%s sha256=%q, want permit with a hash", ev.Outcome.Decision, ev.Details["sha256"])
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control=%q, want no-store", got)
			}
			if bytes.Contains(body, []byte(e.patB)) && c.status == 200 {
				t.Fatalf("response names patient B")
			}
		})
	}
}
