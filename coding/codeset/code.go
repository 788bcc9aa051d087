package codeset

import "strings"

// ICD10CMKey returns an ICD-10-CM code in its key form, upper case without
// the dot ("e11.9" → "E119"), and whether it is well formed: a letter, a
// digit, a letter or digit, then up to four letters or digits, with the dot,
// if any, after the third character.
func ICD10CMKey(code string) (string, bool) {
	code = strings.TrimSpace(code)
	if len(code) < 3 || len(code) > 8 {
		return "", false
	}
	var buf [7]byte
	n := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == '.' {
			if i != 3 || i == len(code)-1 {
				return "", false
			}
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if n == len(buf) {
			return "", false
		}
		switch {
		case n == 0 && c >= 'A' && c <= 'Z':
		case n == 1 && c >= '0' && c <= '9':
		case n >= 2 && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'):
		default:
			return "", false
		}
		buf[n] = c
		n++
	}
	if n < 3 {
		return "", false
	}
	return string(buf[:n]), true
}

// ICD10CMDotted returns a key in display form: "E119" → "E11.9".
func ICD10CMDotted(key string) string {
	if len(key) <= 3 {
		return key
	}
	return key[:3] + "." + key[3:]
}

// ProcedureKind is the code system of a procedure code, by its format.
type ProcedureKind uint8

// Procedure code kinds.
const (
	ProcedureMalformed ProcedureKind = iota
	ProcedureCPT                     // five digits (Category I), or four digits and F (II), T (III) or U (PLA)
	ProcedureHCPCS                   // HCPCS Level II: a letter and four digits
)

// String names the kind: "CPT", "HCPCS", "malformed".
func (k ProcedureKind) String() string {
	switch k {
	case ProcedureCPT:
		return "CPT"
	case ProcedureHCPCS:
		return "HCPCS"
	}
	return "malformed"
}

// ProcedureCode returns a CPT or HCPCS Level II code upper-cased and its
// kind. Only the format is checked: ward carries no CPT descriptions (they
// are the AMA's), so a well-formed CPT code is never "unknown". The U
// suffix (Proprietary Laboratory Analyses, e.g. 0202U) is accepted as CPT.
func ProcedureCode(code string) (string, ProcedureKind) {
	code = strings.TrimSpace(code)
	if len(code) != 5 {
		return code, ProcedureMalformed
	}
	b := []byte(code)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	digits := func(s []byte) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case digits(b[:4]) && (digits(b[4:]) || b[4] == 'F' || b[4] == 'T' || b[4] == 'U'):
		return string(b), ProcedureCPT
	case b[0] >= 'A' && b[0] <= 'Z' && digits(b[1:]):
		return string(b), ProcedureHCPCS
	}
	return code, ProcedureMalformed
}

// packCode packs a five-character CPT/HCPCS code into 32 bits (base 37),
// so that the NCCI tables of a few million pairs stay compact.
func packCode(code string) (uint32, bool) {
	if len(code) != 5 {
		return 0, false
	}
	var v uint32
	for i := 0; i < 5; i++ {
		c := code[i]
		var d uint32
		switch {
		case c >= '0' && c <= '9':
			d = uint32(c-'0') + 1
		case c >= 'A' && c <= 'Z':
			d = uint32(c-'A') + 11
		case c >= 'a' && c <= 'z':
			d = uint32(c-'a') + 11
		default:
			return 0, false
		}
		v = v*37 + d
	}
	return v, true
}

func unpackCode(v uint32) string {
	var b [5]byte
	for i := 4; i >= 0; i-- {
		d := v % 37
		v /= 37
		switch {
		case d >= 11:
			b[i] = byte('A' + d - 11)
		case d >= 1:
			b[i] = byte('0' + d - 1)
		default:
			b[i] = '?'
		}
	}
	return string(b[:])
}
