package routing

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// Import formats.
const (
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// MaxImportLine bounds one NDJSON line or CSV record; a longer one is a row
// error, so that a file without newlines cannot exhaust memory.
const MaxImportLine = 1 << 20

// ImportRow is one good row of an import file: a new task, not yet tagged
// or stored.
type ImportRow struct {
	Line int // the row's first line, 1-based
	Task *ward.Task
}

// RowError is one bad row (or, with Line 0, the file). Field is the
// column or key at fault as the file names it, or "".
type RowError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// importFields maps the names an import file may use to the Task JSON
// field they set. Both the JSON names and short aliases are accepted.
var importFields = map[string]string{
	"queue_id": "queue_id", "queue": "queue_id",
	"type":        "type",
	"patient_ref": "patient_ref", "patient": "patient_ref",
	"encounter_ref": "encounter_ref", "encounter": "encounter_ref",
	"sensitivity_tags": "sensitivity_tags", "tags": "sensitivity_tags",
	"complexity": "complexity",
	"priority":   "priority",
	"due_at":     "due_at", "due": "due_at",
	"external_id": "external_id",
}

// ward sets these; an import may not.
var importForbidden = map[string]bool{
	"id": true, "status": true, "assignee_id": true, "transitions": true, "created_at": true, "updated_at": true,
}

func fieldProblem(name string) string {
	if importForbidden[name] {
		return "set by ward; it cannot be imported"
	}
	return "unknown field; want type, queue_id (or queue), patient_ref (or patient), encounter_ref (or encounter), priority, complexity, due_at, external_id, sensitivity_tags (or tags)"
}

// ImportReader reads import rows one at a time, so that files of any size
// are read in bounded memory.
type ImportReader struct {
	format string
	br     *bufio.Reader
	line   int // NDJSON: lines read

	csv      *csv.Reader
	cols     []string // CSV: canonical field per column
	names    []string // CSV: the header's names
	lim      *limitLines
	lastLine int  // CSV: the last record's first line
	done     bool // after a fatal error
	header   bool
}

// NewImportReader returns a reader of r in format "ndjson" or "csv"; ""
// chooses by content (a first non-blank byte '{' means NDJSON). A UTF-8
// byte-order mark is skipped.
func NewImportReader(r io.Reader, format string) (*ImportReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	format = strings.ToLower(format)
	if format == "" {
		format = sniffFormat(br)
	}
	ir := &ImportReader{format: format, br: br}
	switch format {
	case FormatNDJSON:
	case FormatCSV:
		ir.lim = &limitLines{r: br}
		ir.csv = csv.NewReader(ir.lim)
		ir.csv.FieldsPerRecord = -1
		ir.csv.ReuseRecord = true
	default:
		return nil, ward.FieldErrorf("format", "Unknown import format %q: want ndjson or csv.", format)
	}
	return ir, nil
}

// sniffFormat looks at the first non-blank byte.
func sniffFormat(br *bufio.Reader) string {
	b, _ := br.Peek(4096)
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return FormatNDJSON
		}
		return FormatCSV
	}
	return FormatNDJSON // blank: no rows either way
}

// Format returns the format being read.
func (ir *ImportReader) Format() string { return ir.format }

// Next returns the next good row, or a *RowError for a bad one, and io.EOF
// at the end. After a *RowError reading goes on; when the error concerns
// the whole file (a CSV header that cannot be used, an overlong CSV
// record) the next call returns io.EOF. Any other error is a read error
// and ends the file.
func (ir *ImportReader) Next() (ImportRow, error) {
	if ir.done {
		return ImportRow{}, io.EOF
	}
	if ir.format == FormatCSV {
		return ir.nextCSV()
	}
	return ir.nextNDJSON()
}

func (ir *ImportReader) nextNDJSON() (ImportRow, error) {
	for {
		line, tooLong, err := readLine(ir.br)
		if len(line) == 0 && !tooLong && err != nil {
			if err == io.EOF {
				return ImportRow{}, io.EOF
			}
			return ImportRow{}, fmt.Errorf("line %d: %w", ir.line+1, err)
		}
		ir.line++
		if tooLong {
			return ImportRow{}, &RowError{Line: ir.line, Message: fmt.Sprintf("line longer than %d bytes", MaxImportLine)}
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		t, rerr := decodeNDJSON(line)
		if rerr != nil {
			rerr.Line = ir.line
			return ImportRow{}, rerr
		}
		return ImportRow{Line: ir.line, Task: t}, nil
	}
}

// readLine returns the next line without its newline. A line longer than
// MaxImportLine is skipped to its end and reported as tooLong.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxImportLine+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		if err == io.EOF && len(buf) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		return buf, tooLong, nil
	}
}

// decodeNDJSON decodes one JSON object into a task.
func decodeNDJSON(line []byte) (*ward.Task, *RowError) {
	if !utf8.Valid(line) {
		return nil, &RowError{Message: "not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &RowError{Message: fmt.Sprintf("not valid JSON (column %d: %v)", se.Offset, se)}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &RowError{Message: "not valid JSON (the object is not closed)"}
		}
		return nil, &RowError{Message: "not a JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &RowError{Message: "more than one JSON value on the line"}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the first problem in a stable order
	vals := map[string]importValue{}
	names := map[string]string{}
	for _, k := range keys {
		canon, ok := importFields[k]
		if !ok {
			return nil, &RowError{Field: k, Message: fieldProblem(k)}
		}
		if prev, dup := names[canon]; dup {
			return nil, &RowError{Field: k, Message: fmt.Sprintf("also given as %s", prev)}
		}
		names[canon] = k
		v, err := jsonValue(canon, obj[k])
		if err != "" {
			return nil, &RowError{Field: k, Message: err}
		}
		vals[canon] = v
	}
	return buildTask(vals, names)
}

// importValue is one field's value: a string, or a list for tags.
type importValue struct {
	s    string
	list []string
	set  bool // a list was given (possibly empty)
}

func jsonValue(canon string, v any) (importValue, string) {
	switch x := v.(type) {
	case nil:
		return importValue{}, ""
	case string:
		if canon == "sensitivity_tags" {
			return importValue{list: splitTags(x), set: true}, ""
		}
		return importValue{s: x}, ""
	case json.Number:
		switch canon {
		case "priority", "complexity":
			return importValue{s: x.String()}, ""
		}
		return importValue{}, "must be a string"
	case []any:
		if canon != "sensitivity_tags" {
			return importValue{}, "must be a string"
		}
		out := importValue{set: true, list: []string{}}
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return importValue{}, "must be a list of strings"
			}
			out.list = append(out.list, s)
		}
		return out, ""
	}
	if canon == "sensitivity_tags" {
		return importValue{}, "must be a list of strings"
	}
	return importValue{}, "must be a string"
}

// splitTags splits a CSV cell of tags separated by ';', ',' or spaces.
func splitTags(s string) []string {
	return append([]string{}, strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '|' })...)
}

// buildTask makes and validates the task. names maps canonical fields to
// the names the file used, for error messages.
func buildTask(vals map[string]importValue, names map[string]string) (*ward.Task, *RowError) {
	name := func(canon string) string {
		if n, ok := names[canon]; ok {
			return n
		}
		return canon
	}
	str := func(canon string) string { return strings.TrimSpace(vals[canon].s) }
	t := &ward.Task{
		QueueID:      str("queue_id"),
		Type:         ward.Function(str("type")),
		PatientRef:   str("patient_ref"),
		EncounterRef: str("encounter_ref"),
		ExternalID:   str("external_id"),
		Complexity:   1,
	}
	for _, f := range []struct {
		canon string
		dst   *int
	}{{"complexity", &t.Complexity}, {"priority", &t.Priority}} {
		s := str(f.canon)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, &RowError{Field: name(f.canon), Message: fmt.Sprintf("%q is not a whole number", clip(s))}
		}
		*f.dst = n
	}
	if s := str("due_at"); s != "" {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, &RowError{Field: name("due_at"), Message: fmt.Sprintf("%q is not an RFC 3339 time such as 2026-03-01T17:00:00Z", clip(s))}
		}
		d = d.UTC()
		t.DueAt = &d
	}
	if v := vals["sensitivity_tags"]; v.set {
		t.SensitivityTags = v.list
	}
	if err := t.Validate(); err != nil {
		field := ward.ErrorField(err)
		base, rest, _ := strings.Cut(field, "[")
		if rest != "" {
			rest = "[" + rest
		}
		return nil, &RowError{Field: name(base) + rest, Message: ward.ErrorMessage(err)}
	}
	if t.ExternalID == "" && t.EncounterRef == "" {
		// Without either, a second import of the file could not know the
		// task exists and would duplicate it.
		return nil, &RowError{Field: name("external_id"), Message: "external_id or encounter_ref is required, so that importing the file again does not duplicate the task"}
	}
	if strings.ContainsAny(t.ExternalID, "\x00\r\n") {
		return nil, &RowError{Field: name("external_id"), Message: "must be a single line"}
	}
	return t, nil
}

func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// limitLines makes the CSV reader's input fail when one record (with its
// quoted newlines) runs past MaxImportLine bytes, instead of buffering it
// whole. rec counts the bytes read since the record began; the CSV
// reader's read-ahead (a few KiB) counts too.
type limitLines struct {
	r   *bufio.Reader
	rec int
}

var errLongRecord = fmt.Errorf("a record is longer than %d bytes", MaxImportLine)

func (l *limitLines) Read(p []byte) (int, error) {
	if l.rec > MaxImportLine {
		return 0, errLongRecord
	}
	n, err := l.r.Read(p)
	l.rec += n
	return n, err
}

func (ir *ImportReader) nextCSV() (ImportRow, error) {
	if !ir.header {
		if err := ir.readHeader(); err != nil {
			return ImportRow{}, err
		}
	}
	for {
		ir.lim.rec = 0
		rec, err := ir.csv.Read()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return ImportRow{}, io.EOF
		case errors.Is(err, errLongRecord):
			ir.done = true
			line := ir.lastLine + 1
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return ImportRow{}, &RowError{Line: line, Message: errLongRecord.Error() + "; reading stopped"}
		case errors.As(err, &pe):
			return ImportRow{}, &RowError{Line: pe.StartLine, Message: "malformed CSV: " + pe.Err.Error()}
		case err != nil:
			ir.done = true
			return ImportRow{}, err
		}
		line, _ := ir.csv.FieldPos(0)
		ir.lastLine = line
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if len(rec) != len(ir.cols) {
			return ImportRow{}, &RowError{Line: line, Message: fmt.Sprintf("%d fields, but the header names %d columns", len(rec), len(ir.cols))}
		}
		vals := make(map[string]importValue, len(rec))
		names := make(map[string]string, len(rec))
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return ImportRow{}, &RowError{Line: line, Field: ir.names[i], Message: "not valid UTF-8"}
			}
			c := ir.cols[i]
			names[c] = ir.names[i]
			if c == "sensitivity_tags" {
				vals[c] = importValue{list: splitTags(v), set: true}
			} else {
				vals[c] = importValue{s: v}
			}
		}
		t, rerr := buildTask(vals, names)
		if rerr != nil {
			rerr.Line = line
			return ImportRow{}, rerr
		}
		return ImportRow{Line: line, Task: t}, nil
	}
}

// readHeader reads the header row. Any problem with it ends the file:
// rows cannot be read without knowing their columns.
func (ir *ImportReader) readHeader() error {
	ir.header = true
	ir.lim.rec = 0
	rec, err := ir.csv.Read()
	if err == io.EOF {
		return io.EOF
	}
	fail := func(e *RowError) error {
		ir.done = true
		return e
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fail(&RowError{Line: pe.StartLine, Field: "header", Message: "malformed CSV: " + pe.Err.Error()})
	} else if err != nil {
		ir.done = true
		return err
	}
	line, _ := ir.csv.FieldPos(0)
	ir.lastLine = line
	seen := map[string]string{}
	var unknown []string
	for _, h := range rec {
		name := strings.ToLower(strings.TrimSpace(h))
		canon, ok := importFields[name]
		if !ok {
			unknown = append(unknown, strconv.Quote(clip(h)))
			continue
		}
		if prev, dup := seen[canon]; dup {
			return fail(&RowError{Line: line, Field: name, Message: fmt.Sprintf("column given twice (also as %s)", prev)})
		}
		seen[canon] = name
		ir.cols = append(ir.cols, canon)
		ir.names = append(ir.names, name)
	}
	if len(unknown) > 0 {
		return fail(&RowError{Line: line, Field: "header", Message: fmt.Sprintf("unknown %s %s; want type, queue_id (or queue), patient_ref (or patient), encounter_ref (or encounter), priority, complexity, due_at, external_id, sensitivity_tags (or tags)",
			plural(len(unknown), "column"), strings.Join(unknown, ", "))})
	}
	var missing []string
	for _, c := range []string{"type", "queue_id", "patient_ref"} {
		if _, ok := seen[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fail(&RowError{Line: line, Field: "header", Message: fmt.Sprintf("missing %s %s", plural(len(missing), "column"), strings.Join(missing, ", "))})
	}
	return nil
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// ParseImport reads a whole import file: the good rows, and every bad row
// by line number. format is "ndjson", "csv", or "" to decide by content.
// A problem with the file as a whole (an unknown format, an unusable CSV
// header, a read error) is a RowError too, after which nothing more is
// read. For files too large to hold, use ImportReader.
func ParseImport(r io.Reader, format string) (rows []ImportRow, errs []RowError) {
	ir, err := NewImportReader(r, format)
	if err != nil {
		return nil, []RowError{{Line: 0, Field: "format", Message: ward.ErrorMessage(err)}}
	}
	for {
		row, err := ir.Next()
		var re *RowError
		switch {
		case err == nil:
			rows = append(rows, row)
		case err == io.EOF:
			return rows, errs
		case errors.As(err, &re):
			errs = append(errs, *re)
		default:
			return rows, append(errs, RowError{Line: ir.line, Message: err.Error()})
		}
	}
}
