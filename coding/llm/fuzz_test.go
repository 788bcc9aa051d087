package llm

import (
	"testing"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// FuzzParse feeds the parser arbitrary model output: it must not panic,
// and what it accepts must respect the limits.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"findings":[]}`))
	f.Add([]byte(goodContent))
	f.Fuzz(func(t *testing.T, content []byte) {
		fs, err := parse(content)
		if err != nil {
			if fs != nil {
				t.Fatalf("findings with an error: %+v", fs)
			}
			return
		}
		if len(fs) > MaxFindings {
			t.Fatalf("%d findings", len(fs))
		}
		for _, f := range fs {
			if f.Source != ward.FindingSourceLLM || f.Severity != "warning" || f.ID != "" {
				t.Fatalf("finding %+v", f)
			}
			switch f.Rule {
			case RuleDocumentation, RuleSpecificity, RuleMissed, RuleOther:
			default:
				t.Fatalf("rule %q", f.Rule)
			}
			if f.Message == "" || len(f.Message) > MaxMessageBytes || !utf8.ValidString(f.Message) {
				t.Fatalf("message %q", f.Message)
			}
			if len(f.Codes) > maxCodes || len(f.Suggest) > maxCodes {
				t.Fatalf("%d codes, %d suggestions", len(f.Codes), len(f.Suggest))
			}
			for _, c := range append(append([]string{}, f.Codes...), f.Suggest...) {
				if !validCode(c) {
					t.Fatalf("code %q", c)
				}
			}
		}
	})
}
