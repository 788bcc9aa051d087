package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// ErrMalformed is wrapped by the errors for an answer that is not the
// expected JSON.
var ErrMalformed = errors.New("llm: malformed answer")

// malformed wraps a JSON error without quoting the answer: only the
// position or the field, never text that may be PHI.
func malformed(what string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%w: %s (syntax error at byte %d)", ErrMalformed, what, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%w: %s (field %q must be %s)", ErrMalformed, what, typ.Field, typ.Type)
	default:
		return fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

type rawFinding struct {
	Rule    string   `json:"rule"`
	Codes   []string `json:"codes"`
	Message string   `json:"message"`
	Suggest []string `json:"suggest"`
}

// parse reads the model's content: one JSON object with a findings array.
// Wrong types, trailing data or a missing findings array are errors.
// Unknown fields are ignored; unknown rules become other; codes not shaped
// like ICD-10-CM, CPT or HCPCS codes are dropped; findings without a
// message are dropped; at most MaxFindings are kept, messages are cut to
// MaxMessageBytes.
func parse(content []byte) ([]ward.CodingFinding, error) {
	var doc struct {
		Findings *[]rawFinding `json:"findings"`
	}
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed(`the content is not a {"findings": [...]} object`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if doc.Findings == nil {
		return nil, fmt.Errorf("%w: the content has no findings array", ErrMalformed)
	}
	var out []ward.CodingFinding
	for _, f := range *doc.Findings {
		if len(out) == MaxFindings {
			break
		}
		msg := cleanMessage(f.Message)
		if msg == "" {
			continue
		}
		out = append(out, ward.CodingFinding{
			Rule:     normalizeRule(f.Rule),
			Severity: "warning",
			Source:   ward.FindingSourceLLM,
			Message:  msg,
			Codes:    cleanCodes(f.Codes),
			Suggest:  cleanCodes(f.Suggest),
		})
	}
	return out, nil
}

func normalizeRule(s string) string {
	switch r := strings.ToLower(strings.TrimSpace(s)); r {
	case RuleDocumentation, RuleSpecificity, RuleMissed:
		return r
	}
	return RuleOther
}

// cleanMessage makes s valid UTF-8 on one line without control characters
// and cuts it to MaxMessageBytes.
func cleanMessage(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MaxMessageBytes {
		n := MaxMessageBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = strings.TrimSpace(s[:n])
	}
	return s
}

// Code shapes, upper case: ICD-10-CM with or without its dot, CPT (five
// digits, or four and F, T or U for categories II, III and PLA), HCPCS
// Level II.
var (
	icdShape   = regexp.MustCompile(`^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$`)
	cptShape   = regexp.MustCompile(`^[0-9]{4}[0-9FTU]$`)
	hcpcsShape = regexp.MustCompile(`^[A-Z][0-9]{4}$`)
)

// validCode reports whether c is shaped like a code; it does not look the
// code up.
func validCode(c string) bool {
	return icdShape.MatchString(c) || cptShape.MatchString(c) || hcpcsShape.MatchString(c)
}

// cleanCodes upper-cases and trims codes, drops malformed ones and
// duplicates, and keeps at most maxCodes.
func cleanCodes(in []string) []string {
	var out []string
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if len(c) > 8 || !validCode(c) || contains(out, c) {
			continue
		}
		out = append(out, c)
		if len(out) == maxCodes {
			break
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
