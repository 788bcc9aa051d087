package export_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardhq/ward/ledger/export"
)

func TestCEF_Escaping(t *testing.T) {
	for _, test := range []struct {
		name string
		cef  export.CEF
		want string
	}{
		{"Plain", export.CEF{Vendor: "ward", Product: "ward", Version: "1", SignatureID: "fhir.read", Name: "read", Severity: "3", Extension: []export.CEFField{{"act", "permit"}}},
			`CEF:0|ward|ward|1|fhir.read|read|3|act=permit`},
		{"HeaderPipeAndBackslash", export.CEF{Vendor: `a|b\c`, Name: "x=y", Severity: "3"},
			`CEF:0|a\|b\\c||||x=y|3|`},
		{"HeaderLineBreaks", export.CEF{Name: "one\ntwo\r\nthree", Severity: "3"},
			`CEF:0|||||one two  three|3|`},
		{"ExtensionEqualsBackslashNewline", export.CEF{Severity: "3", Extension: []export.CEFField{{"msg", "a=b\\c\nd\re|f"}}},
			`CEF:0||||||3|msg=a\=b\\c\nd\re|f`},
		{"ExtensionSpaces", export.CEF{Severity: "3", Extension: []export.CEFField{{"msg", " lead  trail "}, {"act", ""}, {"cs1", "k=v x=y"}}},
			`CEF:0||||||3|msg= lead  trail  act= cs1=k\=v x\=y`},
	} {
		t.Run(test.name, func(t *testing.T) {
			b, err := test.cef.AppendText(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), test.want; got != want {
				t.Fatalf("line=%q, want %q", got, want)
			}
		})
	}
}

func TestCEF_InvalidKey(t *testing.T) {
	for _, key := range []string{"", "a b", "a=b", "ä", "x|y"} {
		c := export.CEF{Extension: []export.CEFField{{key, "v"}}}
		if _, err := c.AppendText(nil); err == nil {
			t.Errorf("key %q: AppendText succeeded", key)
		}
		if got := c.String(); got != "" {
			t.Errorf("key %q: String()=%q, want empty", key, got)
		}
	}
}

func TestParseCEF_Errors(t *testing.T) {
	for _, line := range []string{
		"",
		"CEF:1|a|b|c|d|e|f|",
		"LEEF:1.0|a|b|c|d|",
		"CEF:0|a|b|c|d|e",
		`CEF:0|a|b|c|d|e|3|novalue`,
		`CEF:0|a|b|c|d|e|3| k=v`,
		`CEF:0|a|b|c|d|e|3|k=v =w`,
		`CEF:0|a|b|c|d|e|3|k=v x==w`,
		`CEF:0|a|b|c|d|e|3|k=v\`,
	} {
		if c, err := export.ParseCEF(line); !errors.Is(err, export.ErrCEFSyntax) {
			t.Errorf("ParseCEF(%q)=%+v, %v; want ErrCEFSyntax", line, c, err)
		}
	}
}

// TestCEF_SampleRoundTrip parses the CEF line of every sample event and
// checks the ledger index and the fields that carry hostile input.
func TestCEF_SampleRoundTrip(t *testing.T) {
	for i, s := range SampleEvents() {
		t.Run(s.Name, func(t *testing.T) {
			var buf bytes.Buffer
			enc, _ := export.NewEncoder(&buf, export.FormatCEF, export.Options{})
			if err := enc.Encode(uint64(i), &s.Event); err != nil {
				t.Fatal(err)
			}
			line := buf.String()
			if strings.Count(line, "\n") != 1 || strings.ContainsRune(strings.TrimSuffix(line, "\n"), '\r') {
				t.Fatalf("not one line: %q", line)
			}
			c, err := export.ParseCEF(line)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"externalId": strconv.Itoa(i),
				"cn1":        strconv.Itoa(i),
				"cn1Label":   "ledgerIndex",
				"act":        s.Event.Outcome.Decision,
				"suser":      s.Event.Actor.Username,
				"cs1":        s.Event.Target.PatientRef,
				"cs6":        s.Event.Origin.Country,
			}
			for k, w := range want {
				if got, _ := c.Get(k); got != w {
					t.Errorf("%s=%q, want %q", k, got, w)
				}
			}
			if got, want := c.SignatureID, s.Event.Action; got != want {
				t.Errorf("signature ID=%q, want %q", got, want)
			}
		})
	}
}

// FuzzCEFEscape checks that any header and extension value survives
// AppendText and ParseCEF (header line breaks become spaces), and that the
// line is one line whose header has exactly seven unescaped pipes.
func FuzzCEFEscape(f *testing.F) {
	f.Add("ward", "plain value")
	f.Add(`a|b\c`, `x=y\z`)
	f.Fuzz(func(t *testing.T, header, value string) {
		in := export.CEF{
			Vendor: header, Product: "ward", Version: header, SignatureID: "fhir.read", Name: header, Severity: "3",
			Extension: []export.CEFField{{"msg", value}, {"cs1", value}, {"cs1Label", "k"}, {"act", header}},
		}
		b, err := in.AppendText(nil)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsAny(b, "\n\r") {
			t.Fatalf("line contains a raw line break: %q", b)
		}
		// Every '=' in a value is escaped, so the only unescaped '='
		// signs are the four key separators.
		if n := countUnescaped(b, '='); n != 4+strings.Count("|"+header+"|ward|"+header+"|fhir.read|"+header+"|3|", "=") {
			t.Fatalf("%d unescaped '=' in %q", n, b)
		}
		out, err := export.ParseCEF(string(b))
		if err != nil {
			t.Fatalf("ParseCEF(%q): %v", b, err)
		}
		h := strings.NewReplacer("\r", " ", "\n", " ").Replace(header)
		if out.Vendor != h || out.Version != h || out.Name != h || out.Product != "ward" || out.SignatureID != "fhir.read" || out.Severity != "3" {
			t.Fatalf("header round trip: got %+v, want %q", out, h)
		}
		if len(out.Extension) != len(in.Extension) {
			t.Fatalf("extension=%q, want %q", out.Extension, in.Extension)
		}
		for i := range in.Extension {
			if out.Extension[i] != in.Extension[i] {
				t.Fatalf("extension[%d]=%q, want %q", i, out.Extension[i], in.Extension[i])
			}
		}
		if utf8.ValidString(header) && utf8.ValidString(value) && !utf8.Valid(b) {
			t.Fatalf("valid UTF-8 input gave invalid output %q", b)
		}
	})
}

// countUnescaped counts occurrences of c in b not escaped by a backslash.
func countUnescaped(b []byte, c byte) int {
	n := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case c:
			n++
		}
	}
	return n
}
