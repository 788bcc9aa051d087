package fhir

import (
	"strings"
	"unicode/utf8"
)

// ReasonSystem is the code system of the reason codes that ward puts in
// OperationOutcome.issue[0].details.coding[0]; the console and the monitor
// read them from there.
const ReasonSystem = "https://ward.dev/fhir/reason"

// OperationOutcome returns the JSON of a FHIR OperationOutcome with one
// issue of severity (fatal, error, warning, information) and code (an
// IssueType such as "forbidden", "security", "processing", "not-found",
// "exception"), whose details carry reason in ReasonSystem and whose
// diagnostics is diagnostics (omitted when empty). Callers MUST NOT put
// PHI or upstream detail in diagnostics.
func OperationOutcome(severity, code, reason, diagnostics string) []byte {
	var b strings.Builder
	b.WriteString(`{"resourceType":"OperationOutcome","issue":[{"severity":`)
	b.Write(appendString(nil, severity))
	b.WriteString(`,"code":`)
	b.Write(appendString(nil, code))
	if reason != "" {
		b.WriteString(`,"details":{"coding":[{"system":`)
		b.Write(appendString(nil, ReasonSystem))
		b.WriteString(`,"code":`)
		b.Write(appendString(nil, reason))
		b.WriteString(`}]}`)
	}
	if diagnostics != "" {
		b.WriteString(`,"diagnostics":`)
		b.Write(appendString(nil, diagnostics))
	}
	b.WriteString(`}]}`)
	return []byte(b.String())
}

// appendString appends s to dst as a JSON string. Besides the required
// escapes it escapes <, > and & as encoding/json does, so that the output
// is safe to embed in HTML.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size - 1
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
