package codeset

import "github.com/wardhq/ward"

// HCPCS is a release of the HCPCS Level II code set. It is immutable once
// built.
type HCPCS struct {
	Year    int
	Name    string
	Source  string
	From    ward.Date // January 1 of Year
	Through ward.Date // December 31 of Year
	codes   map[string]HCPCSCode
}

// HCPCSCode is one HCPCS Level II code.
type HCPCSCode struct {
	Code  string
	Short string // short description (28 characters)
	Long  string
}

// NewHCPCS returns a release of the given codes.
func NewHCPCS(year int, name, source string, codes []HCPCSCode) *HCPCS {
	h := &HCPCS{Year: year, Name: name, Source: source, codes: make(map[string]HCPCSCode, len(codes)),
		From: ward.Date{Year: year, Month: 1, Day: 1}, Through: ward.Date{Year: year, Month: 12, Day: 31}}
	for _, c := range codes {
		h.codes[c.Code] = c
	}
	return h
}

// Lookup returns the code (upper case).
func (h *HCPCS) Lookup(code string) (HCPCSCode, bool) {
	if h == nil {
		return HCPCSCode{}, false
	}
	c, ok := h.codes[code]
	return c, ok
}

// Len returns the number of codes.
func (h *HCPCS) Len() int {
	if h == nil {
		return 0
	}
	return len(h.codes)
}

// Covers reports whether date of service d falls in the release's year.
func (h *HCPCS) Covers(d ward.Date) bool {
	return h != nil && !d.Before(h.From) && !h.Through.Before(d)
}
