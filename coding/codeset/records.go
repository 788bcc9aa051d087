package codeset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// sniffSize is how much of a CMS table ward reads to find its header row
// and delimiter.
const sniffSize = 64 << 10

// readTable reads a CMS edit table: a preamble (copyright notices), a
// header row that isHeader recognizes, then data rows. Tab-delimited text
// is read line by line; anything else as CSV (quoted fields may span lines).
// fn is called with the 1-based line number and fields of each data row;
// rows whose fields are all empty are skipped, as are rows after the header
// whose first two fields are empty (header continuation rows).
func readTable(r io.Reader, name string, isHeader func([]string) bool, header func([]string), fn func(line int, f []string) error) error {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return &ParseError{File: name, Msg: "binary data: not a text file (an .xlsx? export it as text or CSV)"}
	}
	tab := false
	for _, line := range bytes.Split(head, []byte{'\n'}) {
		if isHeader(splitFields(string(line), '\t')) {
			tab = true
			break
		}
		if isHeader(splitFields(string(line), ',')) {
			break
		}
	}
	found := false
	handle := func(line int, f []string) error {
		if !found {
			if isHeader(f) {
				found = true
				header(f)
			} else if line > 200 {
				return &ParseError{File: name, Line: line, Msg: "no header row in the first 200 lines"}
			}
			return nil
		}
		empty := true
		for _, x := range f {
			if strings.TrimSpace(x) != "" {
				empty = false
				break
			}
		}
		if empty || len(f) >= 2 && strings.TrimSpace(f[0]) == "" && strings.TrimSpace(f[1]) == "" {
			return nil
		}
		return fn(line, f)
	}
	if tab {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 0, 4096), maxLine)
		n := 0
		for sc.Scan() {
			n++
			if err := handle(n, splitFields(strings.TrimRight(sc.Text(), "\r"), '\t')); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			if err == bufio.ErrTooLong {
				return &ParseError{File: name, Line: n + 1, Msg: "line too long"}
			}
			return fmt.Errorf("read %s: %w", name, err)
		}
	} else {
		cr := csv.NewReader(br)
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		cr.ReuseRecord = true
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return &ParseError{File: name, Line: pe.Line, Msg: "CSV: " + pe.Err.Error()}
				}
				return fmt.Errorf("read %s: %w", name, err)
			}
			line, _ := cr.FieldPos(0)
			if err := handle(line, rec); err != nil {
				return err
			}
		}
	}
	if !found {
		return &ParseError{File: name, Msg: "no header row found"}
	}
	return nil
}

func splitFields(s string, sep byte) []string {
	f := strings.Split(s, string(sep))
	for i := range f {
		f[i] = strings.Trim(strings.TrimSpace(f[i]), `"`)
	}
	return f
}

func hasField(f []string, pred func(string) bool) bool {
	for _, x := range f {
		if pred(strings.ToLower(strings.TrimSpace(x))) {
			return true
		}
	}
	return false
}

// parseDate reads YYYYMMDD (the CMS form) or YYYY-MM-DD.
func parseDate(s string) (ward.Date, bool) {
	s = strings.TrimSpace(s)
	layout := "20060102"
	if len(s) == 10 {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return ward.Date{}, false
	}
	return ward.DateOf(t), true
}

func dateInt(d ward.Date) uint32 {
	if d.IsZero() {
		return 0
	}
	return uint32(d.Year*10000 + int(d.Month)*100 + d.Day)
}

func intDate(v uint32) ward.Date {
	if v == 0 {
		return ward.Date{}
	}
	return ward.Date{Year: int(v / 10000), Month: time.Month(v / 100 % 100), Day: int(v % 100)}
}
