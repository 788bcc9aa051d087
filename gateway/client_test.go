package gateway_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFHIRClient runs a real FHIR client library (fhir-kit-client, run by
// node) through the gateway: it reads the patient and pages through a
// search by the rewritten links. Install with
//
//	(cd gateway/testdata/client && npm ci)
func TestFHIRClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the FHIR client test needs it")
	}
	if _, err := os.Stat("testdata/client/node_modules/fhir-kit-client"); err != nil {
		t.Skip("fhir-kit-client is not installed: run (cd gateway/testdata/client && npm ci)")
	}
	e := newEnv(t, nil)
	cmd := exec.Command(node, "paging.js", e.srv.URL+"/fhir", "tok-w1", e.patA)
	cmd.Dir = "testdata/client"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		Patient string   `json:"patient"`
		Fields  []string `json:"fields"`
		Pages   int      `json:"pages"`
		Entries int      `json:"entries"`
		Foreign int      `json:"foreign"`
		Links   []string `json:"links"`
		Denied  string   `json:"denied"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Patient != e.patA || got.Pages < 2 || got.Entries == 0 || got.Foreign != 0 || got.Denied != "403" {
		t.Fatalf("client saw %+v", got)
	}
	for _, l := range got.Links {
		if !strings.HasPrefix(l, e.srv.URL+"/fhir/") {
			t.Fatalf("link %q leaves the gateway", l)
		}
	}
	for _, f := range got.Fields {
		if f == "name" || f == "address" || f == "telecom" || f == "identifier" {
			t.Fatalf("client received Patient.%s", f)
		}
	}
}
