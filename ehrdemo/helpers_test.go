package ehrdemo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wardhq/ward/ehrdemo"
)

// client talks to a demo EHR over a real HTTP server.
type client struct {
	tb   testing.TB
	srv  *ehrdemo.Server
	base string
}

// mustServe starts an httptest.Server over a shared demo EHR.
func mustServe(tb testing.TB) *client {
	tb.Helper()
	s, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return &client{tb: tb, srv: s, base: ts.URL}
}

// do sends a request; path is relative to the FHIR base ("/Patient?x=y") or absolute.
func (c *client) do(method, path string, body string, header ...string) (int, http.Header, []byte) {
	c.tb.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.base + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// get fetches path and fails unless the status is 200.
func (c *client) get(path string) []byte {
	c.tb.Helper()
	code, _, b := c.do("GET", path, "")
	if code != http.StatusOK {
		c.tb.Fatalf("GET %s: status=%d, want 200; body: %.300s", path, code, b)
	}
	return b
}

type link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Link         []link `json:"link"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

func (b bundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

// resource is the part of any resource the tests read.
type resource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID   string   `json:"versionId"`
		LastUpdated string   `json:"lastUpdated"`
		Security    []coding `json:"security"`
		Tag         []coding `json:"tag"`
	} `json:"meta"`
	Subject *struct {
		Reference string `json:"reference"`
	} `json:"subject"`
	Code *struct {
		Coding []coding `json:"coding"`
	} `json:"code"`
}

func hasLabel(cs []coding, system, code string) bool {
	for _, c := range cs {
		if c.System == system && c.Code == code {
			return true
		}
	}
	return false
}

func (c *client) search(path string) bundle {
	c.tb.Helper()
	var b bundle
	if err := json.Unmarshal(c.get(path), &b); err != nil {
		c.tb.Fatalf("GET %s: %v", path, err)
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total == nil {
		c.tb.Fatalf("GET %s: resourceType=%q type=%q total=%v, want a searchset Bundle with total", path, b.ResourceType, b.Type, b.Total)
	}
	return b
}

// all follows next links from path and returns every entry's resource.
func (c *client) all(path string) []json.RawMessage {
	c.tb.Helper()
	var out []json.RawMessage
	for next := path; next != ""; {
		b := c.search(next)
		for _, e := range b.Entry {
			out = append(out, e.Resource)
		}
		next = b.link("next")
	}
	return out
}

func (c *client) total(path string) int {
	c.tb.Helper()
	return *c.search(path).Total
}

func decode(tb testing.TB, raw []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("decode %.100s: %v", raw, err)
	}
}

func q(s string) string { return url.QueryEscape(s) }
