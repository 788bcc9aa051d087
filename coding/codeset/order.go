package codeset

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ParseError is a malformed line in an imported file.
type ParseError struct {
	File string // file name, may be empty
	Line int    // 1-based line number; 0 when the error is about the whole file
	Msg  string
}

// Error returns "file:line: message".
func (e *ParseError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return e.Msg
}

// OrderEntry is one line of the ICD-10-CM order file.
type OrderEntry struct {
	Order    int    // order number
	Key      string // code without the dot
	Billable bool   // 1 = valid for HIPAA-covered transactions, 0 = header
	Short    string // short description (at most 60 characters)
	Long     string // long description
}

// maxLine bounds the length of one line of an imported file.
const maxLine = 1 << 16

// ParseOrderFile reads the CMS/CDC ICD-10-CM order file
// (icd10cm_order_YYYY.txt), a fixed-width layout:
//
//	columns  1-5   order number, zero-filled
//	         6     blank
//	         7-13  code without the dot, left-justified, blank-filled
//	         14    blank
//	         15    0 header (not valid for transactions), 1 valid
//	         16    blank
//	         17-76 short description
//	         77    blank
//	         78-   long description
//
// Blank lines are skipped. Any other line that does not fit the layout,
// a duplicate code or an empty file is an error naming the line.
func ParseOrderFile(r io.Reader, name string) ([]OrderEntry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []OrderEntry
	seen := map[string]int{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, msg := parseOrderLine(line)
		if msg != "" {
			return nil, &ParseError{File: name, Line: n, Msg: msg}
		}
		if prev, dup := seen[e.Key]; dup {
			return nil, &ParseError{File: name, Line: n, Msg: fmt.Sprintf("code %s repeats line %d", ICD10CMDotted(e.Key), prev)}
		}
		seen[e.Key] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, &ParseError{File: name, Line: n + 1, Msg: "line too long"}
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, &ParseError{File: name, Msg: "no codes: not an ICD-10-CM order file"}
	}
	return out, nil
}

func parseOrderLine(line string) (OrderEntry, string) {
	var e OrderEntry
	if !utf8.ValidString(line) {
		return e, "not valid UTF-8 text"
	}
	if len(line) < 17 {
		return e, fmt.Sprintf("line has %d characters; an order file line has at least 17 (order number, code, flag, description)", len(line))
	}
	for i := 0; i < 5; i++ {
		c := line[i]
		if c < '0' || c > '9' {
			return e, "columns 1-5 must be the order number (5 digits)"
		}
		e.Order = e.Order*10 + int(c-'0')
	}
	if line[5] != ' ' || line[13] != ' ' || line[15] != ' ' {
		return e, "columns 6, 14 and 16 must be blank (fixed-width order file layout)"
	}
	raw := strings.TrimRight(line[6:13], " ")
	if strings.Contains(raw, ".") || strings.Contains(raw, " ") {
		return e, fmt.Sprintf("code %q in columns 7-13 must be left-justified without a dot", line[6:13])
	}
	k, ok := ICD10CMKey(raw)
	if !ok || k != raw {
		return e, fmt.Sprintf("code %q in columns 7-13 is not an ICD-10-CM code", raw)
	}
	e.Key = k
	switch line[14] {
	case '0':
	case '1':
		e.Billable = true
	default:
		return e, fmt.Sprintf("column 15 must be 0 (header) or 1 (valid), not %q", line[14])
	}
	e.Short = strings.TrimSpace(line[16:min(76, len(line))])
	if len(line) > 76 {
		if line[76] != ' ' {
			return e, "column 77 must be blank (between the short and long descriptions)"
		}
		e.Long = strings.TrimSpace(line[77:])
	}
	if e.Long == "" {
		e.Long = e.Short
	}
	if e.Long == "" {
		return e, "description is empty"
	}
	return e, ""
}
