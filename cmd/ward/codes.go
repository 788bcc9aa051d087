package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
	"github.com/wardhq/ward/coding/codeset"
)

// CodesCommand checks coded charts and manages the code sets:
//
//	ward codes check FILE.json     check a submission and its note
//	ward codes evidence            JSON lines {"note","term"} on stdin → {"status","span"}
//	ward codes info                the loaded code-set release
//	ward codes import FILE...      load newer CMS release files
type CodesCommand struct {
	*Main
	// Stdin feeds "ward codes evidence"; nil means os.Stdin.
	Stdin io.Reader
}

const codesUsage = `Usage: ward codes <command> [arguments]

Commands:

	check FILE.json   check a coding submission (with its "note") against the
	                  code sets, the CMS edits and the note; exit status 0 when
	                  it passes, 1 when there are findings, 2 on bad input
	evidence          read JSON lines {"note": ..., "term": ...} on standard
	                  input, write {"status": ..., "span": [start, end]} lines
	info              show the loaded code-set release and its dates
	import FILE...    import CMS files (ICD-10-CM order file and tabular XML,
	                  NCCI PTP and MUE tables, or their zip archives); each
	                  fiscal year or NCCI table replaces the one of the same
	                  year or setting, so pass all parts of a quarter's PTP
	                  table (f1 to f4) in one import

The code sets are read from --dir, else $WARD_CODESETS, else a codesets
directory next to the SQLite database; without an imported release ward uses
its embedded default (ICD-10-CM FY2021, HCPCS Level II 2020, no NCCI tables).
Run "ward codes <command> -h" for a command's flags.
`

// Run runs the codes subcommand named by args[0].
func (c *CodesCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "check":
		return c.check(ctx, rest)
	case "evidence":
		return c.evidence(ctx, rest)
	case "info":
		return c.info(ctx, rest)
	case "import":
		return c.importFiles(ctx, rest)
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, codesUsage)
		if cmd == "" {
			return &usageError{"codes: a command is required: check, evidence, info or import"}
		}
		return nil
	}
	return &usageError{fmt.Sprintf("codes: unknown command %q; run \"ward codes help\"", cmd)}
}

// parseArgs parses flags anywhere among args and returns the positional
// arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// codesetFlags adds the flags that choose the release directory.
type codesetFlags struct {
	dir    string
	config string
}

func (f *codesetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "", "code-set release directory (default $WARD_CODESETS, else codesets/ next to the SQLite database)")
	fs.StringVar(&f.config, "config", "", "ward configuration file, to find the database")
}

// resolve returns the release directory.
func (f *codesetFlags) resolve(m *Main) (string, error) {
	if f.dir != "" {
		return f.dir, nil
	}
	// WARD_CODESETS reaches coding.codesets_dir through ApplyEnv.
	cfg, err := loadConfig(f.config, m.Getenv)
	if err != nil {
		return "", err
	}
	return cfg.codesetsDir(), nil
}

func (f *codesetFlags) open(m *Main) (*codeset.Release, error) {
	dir, err := f.resolve(m)
	if err != nil {
		return nil, err
	}
	r, err := codeset.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("code sets in %s: %w", dir, err)
	}
	return r, nil
}

// checkInput is the file "ward codes check" reads: a ward.Submission in
// its JSON form plus the note.
type checkInput struct {
	sub  ward.Submission
	note string
}

func (c *CodesCommand) check(ctx context.Context, args []string) error {
	fs := c.newFlagSet("codes check", "codes check [--json] [--note FILE] [--setting practitioner|hospital] [--dir DIR] FILE.json")
	var csf codesetFlags
	csf.register(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	notePath := fs.String("note", "", "read the note from this text file instead of the \"note\" field")
	setting := fs.String("setting", "practitioner", "NCCI tables to apply: practitioner or hospital")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"codes check: want one FILE.json (or - for standard input)"}
	}
	s, ok := codeset.ParseSetting(*setting)
	if !ok || s == codeset.DME {
		return &usageError{fmt.Sprintf("codes check: --setting %q: want practitioner or hospital", *setting)}
	}
	name := pos[0]
	var b []byte
	if name == "-" {
		b, err = io.ReadAll(c.stdin())
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return &usageError{fmt.Sprintf("codes check: %v", err)}
	}
	in, err := decodeCheckInput(b)
	if err != nil {
		return &usageError{fmt.Sprintf("%s: %s", name, describeInputError(err))}
	}
	if *notePath != "" {
		nb, err := os.ReadFile(*notePath)
		if err != nil {
			return &usageError{fmt.Sprintf("codes check: --note: %v", err)}
		}
		in.note = string(nb)
	}
	if err := in.sub.Validate(); err != nil {
		return &usageError{fmt.Sprintf("%s: %s", name, describeInputError(err))}
	}
	rel, err := csf.open(c.Main)
	if err != nil {
		return err
	}
	v := coding.New(rel)
	findings := v.Check(&in.sub, in.note, coding.Options{Setting: s})
	notes := releaseNotes(rel, &in.sub, s)
	if strings.TrimSpace(in.note) == "" {
		notes = append(notes, "no note: the specificity, documentation and missed-diagnosis rules did not run")
	}
	if *asJSON {
		out := struct {
			Passed   bool              `json:"passed"`
			Release  []string          `json:"release"`
			Notes    []string          `json:"notes,omitempty"`
			Findings []coding.Finding  `json:"findings"`
			Counts   map[string]int    `json:"counts"`
			Sub      map[string]string `json:"submission"`
		}{Passed: len(findings) == 0, Notes: notes, Findings: findings, Counts: map[string]int{},
			Sub: map[string]string{"id": in.sub.ID, "encounter_ref": in.sub.EncounterRef, "date_of_service": in.sub.DateOfService.String()}}
		if out.Findings == nil {
			out.Findings = []coding.Finding{}
		}
		for _, f := range findings {
			out.Counts[string(f.Rule)]++
		}
		for _, comp := range rel.Components {
			out.Release = append(out.Release, comp.Name)
		}
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, n := range notes {
			fmt.Fprintln(c.Stderr, "ward: note:", n)
		}
		printFindings(c.Stdout, findings)
	}
	if len(findings) > 0 {
		errs := 0
		for _, f := range findings {
			if f.Severity == coding.SeverityError {
				errs++
			}
		}
		return ward.Errorf(ward.EUNPROCESSABLE, "%d %s (%d %s); the submission needs review.", len(findings), plural(len(findings), "finding"), errs, plural(errs, "error"))
	}
	return nil
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

func (c *CodesCommand) stdin() io.Reader {
	if c.Stdin != nil {
		return c.Stdin
	}
	return os.Stdin
}

// printFindings writes the human table.
func printFindings(w io.Writer, findings []coding.Finding) {
	if len(findings) == 0 {
		fmt.Fprintln(w, "No findings: the submission passes.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tCODES\tMESSAGE")
	for _, f := range findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Rule, f.Severity, strings.Join(f.Evidence.Codes, " "), f.Message)
		if f.Evidence.Span != nil {
			fmt.Fprintf(tw, "\t\t\tnote [%d,%d] (%s): %q\n", f.Evidence.Span[0], f.Evidence.Span[1], f.Evidence.Status, f.Evidence.Excerpt)
		}
		if len(f.Evidence.Suggest) > 0 {
			fmt.Fprintf(tw, "\t\t\tsuggest: %s\n", strings.Join(f.Evidence.Suggest, ", "))
		}
	}
	tw.Flush()
}

// inputError is a bad field in the check input.
type inputError struct{ field, msg string }

func (e *inputError) Error() string { return e.field + ": " + e.msg }

func describeInputError(err error) string {
	var ie *inputError
	if errors.As(err, &ie) {
		return ie.Error()
	}
	var we *ward.Error
	if errors.As(err, &we) && we.Field != "" {
		return we.Field + ": " + we.Message
	}
	return ward.ErrorMessage(err)
}

// decodeCheckInput decodes the check file strictly, naming the field of
// any error: unknown fields and wrong types are errors.
func decodeCheckInput(b []byte) (*checkInput, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte{'\n'})
			return nil, &inputError{"JSON", fmt.Sprintf("line %d: %v", line, se)}
		}
		return nil, &inputError{"JSON", "the file must hold one JSON object (a submission with its \"note\")"}
	}
	in := &checkInput{}
	s := &in.sub
	str := func(field string, raw json.RawMessage, dst *string) error {
		if err := json.Unmarshal(raw, dst); err != nil {
			return &inputError{field, "must be a string"}
		}
		return nil
	}
	for _, k := range sortedKeys(top) {
		raw := top[k]
		var err error
		switch k {
		case "note":
			err = str(k, raw, &in.note)
		case "id":
			err = str(k, raw, &s.ID)
		case "task_id":
			err = str(k, raw, &s.TaskID)
		case "worker_id":
			err = str(k, raw, &s.WorkerID)
		case "patient_ref":
			err = str(k, raw, &s.PatientRef)
		case "encounter_ref":
			err = str(k, raw, &s.EncounterRef)
		case "patient_sex":
			err = str(k, raw, &s.PatientSex)
		case "status":
			var st string
			err = str(k, raw, &st)
			s.Status = ward.SubmissionStatus(st)
		case "date_of_service":
			if e := json.Unmarshal(raw, &s.DateOfService); e != nil {
				err = &inputError{k, "must be a date YYYY-MM-DD"}
			}
		case "patient_age":
			if e := json.Unmarshal(raw, &s.PatientAge); e != nil {
				err = &inputError{k, "must be a whole number of years"}
			}
		case "created_at", "updated_at":
			var t time.Time
			if e := json.Unmarshal(raw, &t); e != nil {
				err = &inputError{k, "must be an RFC 3339 time"}
			}
		case "diagnoses":
			s.Diagnoses, err = decodeDiagnoses(raw)
		case "procedures":
			s.Procedures, err = decodeProcedures(raw)
		default:
			err = &inputError{k, "unknown field"}
		}
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Report problems in a stable, readable order.
	order := map[string]int{"note": 100}
	for i := 0; i < len(keys); i++ {
		for j := i + 1; j < len(keys); j++ {
			a, b := keys[i], keys[j]
			if order[a] > order[b] || order[a] == order[b] && a > b {
				keys[i], keys[j] = b, a
			}
		}
	}
	return keys
}

func decodeObjects(field string, raw json.RawMessage) ([]map[string]json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, &inputError{field, "must be a list"}
	}
	out := make([]map[string]json.RawMessage, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &out[i]); err != nil || out[i] == nil {
			return nil, &inputError{fmt.Sprintf("%s[%d]", field, i), "must be an object"}
		}
	}
	return out, nil
}

func decodeDiagnoses(raw json.RawMessage) ([]ward.CodedDiagnosis, error) {
	objs, err := decodeObjects("diagnoses", raw)
	if err != nil {
		return nil, err
	}
	out := make([]ward.CodedDiagnosis, len(objs))
	for i, o := range objs {
		for _, k := range sortedKeys(o) {
			f := fmt.Sprintf("diagnoses[%d].%s", i, k)
			var err error
			switch k {
			case "code":
				err = json.Unmarshal(o[k], &out[i].Code)
			case "poa":
				err = json.Unmarshal(o[k], &out[i].POA)
			case "sequence":
				if json.Unmarshal(o[k], &out[i].Sequence) != nil {
					return nil, &inputError{f, "must be a whole number"}
				}
			default:
				return nil, &inputError{f, "unknown field"}
			}
			if err != nil {
				return nil, &inputError{f, "must be a string"}
			}
		}
	}
	return out, nil
}

func decodeProcedures(raw json.RawMessage) ([]ward.CodedProcedure, error) {
	objs, err := decodeObjects("procedures", raw)
	if err != nil {
		return nil, err
	}
	out := make([]ward.CodedProcedure, len(objs))
	for i, o := range objs {
		for _, k := range sortedKeys(o) {
			f := fmt.Sprintf("procedures[%d].%s", i, k)
			switch k {
			case "code":
				if json.Unmarshal(o[k], &out[i].Code) != nil {
					return nil, &inputError{f, "must be a string"}
				}
			case "units":
				if json.Unmarshal(o[k], &out[i].Units) != nil {
					return nil, &inputError{f, "must be a whole number"}
				}
			case "modifiers":
				if json.Unmarshal(o[k], &out[i].Modifiers) != nil {
					return nil, &inputError{f, "must be a list of two-character strings"}
				}
			default:
				return nil, &inputError{f, "unknown field"}
			}
		}
	}
	return out, nil
}

// releaseNotes says what the release cannot check for a date of service.
func releaseNotes(r *codeset.Release, sub *ward.Submission, s codeset.Setting) []string {
	var notes []string
	dos := sub.DateOfService
	hcpcs := false
	for _, p := range sub.Procedures {
		if _, k := codeset.ProcedureCode(p.Code); k == codeset.ProcedureHCPCS {
			hcpcs = true
		}
	}
	if v, covered := r.ICD10CMFor(dos); v != nil && !covered && !dos.IsZero() {
		notes = append(notes, fmt.Sprintf("the loaded ICD-10-CM release (%s, %s to %s) does not cover the date of service %s; import the release for that date (ward codes import)", v.Name, v.From, v.Through, dos))
	}
	if h := r.HCPCS; h != nil && hcpcs && !dos.IsZero() && !h.Covers(dos) {
		notes = append(notes, fmt.Sprintf("the HCPCS Level II release (%s) does not cover the date of service %s", h.Name, dos))
	}
	if r.PTP[s] == nil {
		notes = append(notes, fmt.Sprintf("no NCCI PTP table for the %s setting is loaded: procedure pairs were not checked", s))
	} else if comp := r.Find(codeset.KindPTP, s.String()); comp != nil && !comp.Covers(dos) {
		notes = append(notes, fmt.Sprintf("the NCCI PTP table (%s) is for %s to %s, not the date of service %s; edits were applied by their own dates", comp.Name, comp.From, comp.Through, dos))
	}
	if r.MUE[s] == nil {
		notes = append(notes, fmt.Sprintf("no NCCI MUE table for the %s setting is loaded: units were not checked", s))
	} else if comp := r.Find(codeset.KindMUE, s.String()); comp != nil && !comp.Covers(dos) {
		notes = append(notes, fmt.Sprintf("the NCCI MUE table (%s) is not for the date of service %s", comp.Name, dos))
	}
	return notes
}

func (c *CodesCommand) evidence(ctx context.Context, args []string) error {
	fs := c.newFlagSet("codes evidence", "codes evidence [--dir DIR] < lines.jsonl")
	var csf codesetFlags
	csf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rel, err := csf.open(c.Main)
	if err != nil {
		return err
	}
	lines, failed, err := coding.New(rel).StreamEvidence(c.stdin(), c.Stdout)
	if err != nil {
		return fmt.Errorf("codes evidence: %w", err)
	}
	if failed > 0 {
		return ward.Errorf(ward.EINVALID, "%d of %d input lines were not {\"note\", \"term\"} objects; see the \"error\" lines.", failed, lines)
	}
	return nil
}

func (c *CodesCommand) info(ctx context.Context, args []string) error {
	fs := c.newFlagSet("codes info", "codes info [--date YYYY-MM-DD] [--json] [--dir DIR]")
	var csf codesetFlags
	csf.register(fs)
	date := fs.String("date", "", "a date of service: warn when the release does not cover it")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var dos ward.Date
	if *date != "" {
		d, err := ward.ParseDate(*date)
		if err != nil {
			return &usageError{fmt.Sprintf("codes info: --date %q is not YYYY-MM-DD", *date)}
		}
		dos = d
	}
	dir, err := csf.resolve(c.Main)
	if err != nil {
		return err
	}
	rel, err := codeset.Open(dir)
	if err != nil {
		return fmt.Errorf("code sets in %s: %w", dir, err)
	}
	var warnings []string
	if !dos.IsZero() {
		for _, comp := range rel.Components {
			if comp.Kind == codeset.KindICD10CM {
				continue
			}
			if !comp.Covers(dos) {
				warnings = append(warnings, fmt.Sprintf("%s (%s to %s) is older than the date of service %s", comp.Name, comp.From, comp.Through, dos))
			}
		}
		if v, covered := rel.ICD10CMFor(dos); v != nil && !covered {
			rel := "older"
			if dos.Before(v.From) {
				rel = "newer"
			}
			warnings = append(warnings, fmt.Sprintf("no loaded ICD-10-CM release covers the date of service %s; the nearest, %s (%s to %s), is %s", dos, v.Name, v.From, v.Through, rel))
		}
		for s := codeset.Setting(0); s < codeset.DME; s++ {
			if rel.PTP[s] == nil {
				warnings = append(warnings, fmt.Sprintf("no NCCI PTP table for the %s setting", s))
			}
			if rel.MUE[s] == nil {
				warnings = append(warnings, fmt.Sprintf("no NCCI MUE table for the %s setting", s))
			}
		}
	}
	source := "embedded default (no release in " + dir + ")"
	if rel.Dir != "" {
		source = "release directory " + rel.Dir
	}
	if *asJSON {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Source     string              `json:"source"`
			Components []codeset.Component `json:"components"`
			Warnings   []string            `json:"warnings,omitempty"`
		}{source, rel.Components, warnings})
	}
	fmt.Fprintf(c.Stdout, "Code sets: %s\n\n", source)
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDATES OF SERVICE\tCOUNT\tSOURCE")
	for _, comp := range rel.Components {
		dates := "unknown"
		if !comp.From.IsZero() {
			dates = comp.From.String() + " to " + comp.Through.String()
		}
		src := comp.Source
		if comp.Embedded {
			src = "embedded: " + src
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", comp.Name, dates, comp.Count, src)
		for _, n := range comp.Notes {
			fmt.Fprintf(tw, "\t\t\t- %s\n", n)
		}
	}
	fmt.Fprintln(tw, "CPT\tformat only (no AMA descriptions)\t-\t-")
	for s := codeset.Setting(0); s < codeset.NumSettings; s++ {
		if rel.PTP[s] == nil && s != codeset.DME {
			fmt.Fprintf(tw, "NCCI PTP %s\tnot loaded\t-\tward codes import ccipra/ccioph files\n", s)
		}
		if rel.MUE[s] == nil {
			fmt.Fprintf(tw, "NCCI MUE %s\tnot loaded\t-\tward codes import the MUE table\n", s)
		}
	}
	tw.Flush()
	for _, w := range warnings {
		fmt.Fprintf(c.Stdout, "WARNING: %s.\n", w)
	}
	return nil
}

func (c *CodesCommand) importFiles(ctx context.Context, args []string) error {
	fs := c.newFlagSet("codes import", "codes import [--dir DIR] [--year YYYY] [--setting practitioner|hospital|dme] [--effective YYYY-MM-DD] FILE...")
	var csf codesetFlags
	csf.register(fs)
	year := fs.Int("year", 0, "ICD-10-CM fiscal year (default: from the tabular XML or the order file's name)")
	setting := fs.String("setting", "", "NCCI setting of the PTP/MUE files (default: from the file name or header)")
	effective := fs.String("effective", "", "first date of service of the NCCI quarter (default: from the file name)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return &usageError{"codes import: name the files to import"}
	}
	opts := codeset.ImportOptions{Year: *year}
	if *year != 0 && (*year < 2015 || *year > 2999) {
		return &usageError{fmt.Sprintf("codes import: --year %d is not an ICD-10-CM fiscal year", *year)}
	}
	if *setting != "" {
		s, ok := codeset.ParseSetting(*setting)
		if !ok {
			return &usageError{fmt.Sprintf("codes import: --setting %q: want practitioner, hospital or dme", *setting)}
		}
		opts.Setting = &s
	}
	if *effective != "" {
		d, err := ward.ParseDate(*effective)
		if err != nil {
			return &usageError{fmt.Sprintf("codes import: --effective %q is not YYYY-MM-DD", *effective)}
		}
		opts.Effective = d
	}
	dir, err := csf.resolve(c.Main)
	if err != nil {
		return err
	}
	p := newProgress(c.Stderr)
	opts.Progress = p.update
	res, err := codeset.Import(dir, files, opts)
	p.done()
	if err != nil {
		var pe *codeset.ParseError
		if errors.As(err, &pe) {
			return &usageError{"codes import: " + pe.Error()}
		}
		return fmt.Errorf("codes import: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.Stderr, "ward: warning:", w)
	}
	for _, comp := range res.Components {
		dates := ""
		if !comp.From.IsZero() {
			dates = fmt.Sprintf(", dates of service %s to %s", comp.From, comp.Through)
		}
		fmt.Fprintf(c.Stdout, "imported %s: %d %s%s → %s\n", comp.Name, comp.Count, map[bool]string{true: "codes", false: "edits"}[comp.Kind == codeset.KindICD10CM], dates, filepath.Join(dir, comp.File))
	}
	return nil
}

// progress reports an import on stderr: a bar redrawn in place on a
// terminal, otherwise a line every tenth of each file.
type progress struct {
	w        io.Writer
	tty      bool
	file     string
	lastTick int64
	drawn    bool
	start    time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(file string, done, total int64) {
	if file != p.file {
		p.done()
		p.file, p.lastTick = file, -1
	}
	pct := int64(100)
	if total > 0 {
		pct = min(100, done*100/total)
	}
	name := filepath.Base(file)
	if p.tty {
		const width = 30
		n := int(pct * width / 100)
		fmt.Fprintf(p.w, "\rimporting %s [%s%s] %3d%% %s", name, strings.Repeat("#", n), strings.Repeat("-", width-n), pct, mb(done))
		p.drawn = true
		return
	}
	if tick := pct / 10; tick > p.lastTick {
		p.lastTick = tick
		fmt.Fprintf(p.w, "ward: importing %s: %d%% (%s of %s)\n", name, pct, mb(done), mb(total))
	}
}

func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
