package codeset

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/wardhq/ward"
)

// Setting is the claim type an NCCI table is for.
type Setting uint8

// Settings. Do not reorder: the values index arrays.
const (
	Practitioner Setting = iota // practitioner (professional, CMS-1500) claims
	Hospital                    // outpatient hospital claims
	DME                         // durable medical equipment supplier claims (MUE only)
	NumSettings
)

var settingNames = [...]string{"practitioner", "hospital", "dme"}

// String returns "practitioner", "hospital" or "dme".
func (s Setting) String() string {
	if int(s) < len(settingNames) {
		return settingNames[s]
	}
	return "Setting(" + strconv.Itoa(int(s)) + ")"
}

// ParseSetting parses a setting name.
func ParseSetting(s string) (Setting, bool) {
	for i, n := range settingNames {
		if strings.EqualFold(s, n) {
			return Setting(i), true
		}
	}
	return 0, false
}

// PTPEdit is one NCCI procedure-to-procedure edit: when both codes are
// reported for a patient on a date of service, the Column 2 code is denied
// unless the modifier indicator is 1 and an NCCI-associated modifier is
// reported.
type PTPEdit struct {
	Column1   string
	Column2   string
	Prior1996 bool      // "*=in existence prior to 1996"
	Effective ward.Date // first date of service the edit applies to
	Deleted   ward.Date // last date of service it applies to; zero while active
	Modifier  int       // 0 not allowed, 1 allowed, 9 not applicable
	Rationale string
}

// Applies reports whether e is in effect on date of service d (a zero d
// means "now": only edits without a deletion date apply). CMS deletion
// dates are the last day of the quarter the edit was active in, so they
// are inclusive.
func (e PTPEdit) Applies(d ward.Date) bool {
	if d.IsZero() {
		return e.Deleted.IsZero()
	}
	if d.Before(e.Effective) {
		return false
	}
	return e.Deleted.IsZero() || !e.Deleted.Before(d)
}

// ParsePTP reads a CMS NCCI PTP edit table (practitioner "ccipra-*" or
// outpatient hospital "ccioph-*"), tab-delimited as CMS ships the .txt
// files or as CSV: a preamble, then a header row starting "Column 1",
// "Column 2", then rows of Column 1, Column 2, "*=in existence prior to
// 1996" ("*" or blank), Effective Date (YYYYMMDD), Deletion Date (YYYYMMDD,
// or "*" when none), Modifier (0, 1 or 9), PTP Edit Rationale. fn is called
// for each edit; a malformed row is an error naming its line.
func ParsePTP(r io.Reader, name string, fn func(PTPEdit)) error {
	rows := 0
	err := readTable(r, name, isPTPHeader, func([]string) {}, func(line int, f []string) error {
		fail := func(format string, args ...any) error {
			return &ParseError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
		}
		if len(f) < 6 {
			return fail("%d fields; a PTP row has 7 (Column 1, Column 2, prior-1996 flag, effective date, deletion date, modifier indicator, rationale)", len(f))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		var e PTPEdit
		var k ProcedureKind
		if e.Column1, k = ProcedureCode(f[0]); k == ProcedureMalformed {
			return fail("Column 1 %q is not a CPT or HCPCS code", f[0])
		}
		if e.Column2, k = ProcedureCode(f[1]); k == ProcedureMalformed {
			return fail("Column 2 %q is not a CPT or HCPCS code", f[1])
		}
		switch f[2] {
		case "*":
			e.Prior1996 = true
		case "":
		default:
			return fail("prior-1996 flag %q must be * or blank", f[2])
		}
		var ok bool
		if e.Effective, ok = parseDate(f[3]); !ok {
			return fail("effective date %q is not YYYYMMDD", f[3])
		}
		if f[4] != "*" && f[4] != "" {
			if e.Deleted, ok = parseDate(f[4]); !ok {
				return fail("deletion date %q is not YYYYMMDD or *", f[4])
			}
			if e.Deleted.Before(e.Effective) {
				return fail("deletion date %s is before the effective date %s", e.Deleted, e.Effective)
			}
		}
		switch strings.TrimSpace(f[5]) {
		case "0":
		case "1":
			e.Modifier = 1
		case "9":
			e.Modifier = 9
		default:
			return fail("modifier indicator %q must be 0, 1 or 9", f[5])
		}
		if len(f) > 6 {
			e.Rationale = strings.Join(strings.Fields(f[6]), " ")
		}
		rows++
		fn(e)
		return nil
	})
	if err != nil {
		return err
	}
	if rows == 0 {
		return &ParseError{File: name, Msg: "no edits after the header row"}
	}
	return nil
}

// isPTPHeader recognizes the PTP header row: "Column 1", "Column 2", ...
func isPTPHeader(f []string) bool {
	return len(f) >= 2 && strings.HasPrefix(strings.ToLower(strings.Join(strings.Fields(f[0]), "")), "column1") &&
		strings.HasPrefix(strings.ToLower(strings.Join(strings.Fields(f[1]), "")), "column2")
}

// isMUEHeader recognizes the MUE header row: "HCPCS/CPT Code", "...MUE
// Values", ...
func isMUEHeader(f []string) bool {
	return len(f) >= 3 && hasField(f[:1], func(s string) bool { return strings.Contains(s, "hcpcs") || strings.Contains(s, "cpt") }) &&
		hasField(f, func(s string) bool { return strings.Contains(s, "mue") && strings.Contains(s, "value") })
}

// PTP is a packed NCCI PTP table for one setting. It is immutable once built
// and safe for concurrent use. A quarter's practitioner table holds a few
// million pairs; each takes 24 bytes here.
type PTP struct {
	Setting   Setting
	recs      []ptpRec
	rationale []string
}

type ptpRec struct {
	key      uint64 // Column 1 << 32 | Column 2, packed
	eff, del uint32 // YYYYMMDD; del 0 = none
	rat      uint16
	mod      uint8
	prior    bool
}

// PTPBuilder accumulates edits into a PTP table.
type PTPBuilder struct {
	p     PTP
	index map[string]uint16
}

// NewPTPBuilder returns a builder for setting s.
func NewPTPBuilder(s Setting) *PTPBuilder {
	return &PTPBuilder{p: PTP{Setting: s, rationale: []string{""}}, index: map[string]uint16{"": 0}}
}

// Add adds e. Edits with modifier indicator 9 (not applicable: the pair
// was deleted retroactively) are dropped: they never deny anything.
func (b *PTPBuilder) Add(e PTPEdit) {
	if e.Modifier == 9 {
		return
	}
	c1, ok1 := packCode(e.Column1)
	c2, ok2 := packCode(e.Column2)
	if !ok1 || !ok2 {
		return
	}
	r, ok := b.index[e.Rationale]
	if !ok {
		if len(b.p.rationale) < 1<<16 {
			r = uint16(len(b.p.rationale))
			b.p.rationale = append(b.p.rationale, e.Rationale)
			b.index[e.Rationale] = r
		}
	}
	b.p.recs = append(b.p.recs, ptpRec{key: uint64(c1)<<32 | uint64(c2), eff: dateInt(e.Effective), del: dateInt(e.Deleted), rat: r, mod: uint8(e.Modifier), prior: e.Prior1996})
}

// Build sorts the table and returns it. The builder must not be used again.
func (b *PTPBuilder) Build() *PTP {
	sort.Slice(b.p.recs, func(i, j int) bool {
		x, y := b.p.recs[i], b.p.recs[j]
		if x.key != y.key {
			return x.key < y.key
		}
		return x.eff < y.eff
	})
	p := b.p
	return &p
}

// Len returns the number of edits.
func (p *PTP) Len() int { return len(p.recs) }

func (p *PTP) edit(r ptpRec) PTPEdit {
	return PTPEdit{Column1: unpackCode(uint32(r.key >> 32)), Column2: unpackCode(uint32(r.key)), Prior1996: r.prior,
		Effective: intDate(r.eff), Deleted: intDate(r.del), Modifier: int(r.mod), Rationale: p.rationale[r.rat]}
}

// Edit returns the edit with column1 and column2 in effect on date of
// service d.
func (p *PTP) Edit(column1, column2 string, d ward.Date) (PTPEdit, bool) {
	if p == nil {
		return PTPEdit{}, false
	}
	c1, ok1 := packCode(column1)
	c2, ok2 := packCode(column2)
	if !ok1 || !ok2 {
		return PTPEdit{}, false
	}
	key := uint64(c1)<<32 | uint64(c2)
	i := sort.Search(len(p.recs), func(i int) bool { return p.recs[i].key >= key })
	for ; i < len(p.recs) && p.recs[i].key == key; i++ {
		if e := p.edit(p.recs[i]); e.Applies(d) {
			return e, true
		}
	}
	return PTPEdit{}, false
}

// Each calls fn for every edit in key order until fn returns false.
func (p *PTP) Each(fn func(PTPEdit) bool) {
	for _, r := range p.recs {
		if !fn(p.edit(r)) {
			return
		}
	}
}

// MUEEdit is one medically unlikely edit: the most units of service of a
// code a provider would report for a patient on a date of service.
type MUEEdit struct {
	Code  string
	Value int
	// MAI is the MUE adjudication indicator: 1 the edit applies to each
	// claim line; 2 to the date of service, absolutely (policy); 3 to the
	// date of service, clinically (a reviewer may allow more).
	MAI       int
	Rationale string
}

// MUE is an MUE table for one setting. It is immutable once built.
type MUE struct {
	Setting Setting
	m       map[uint32]MUEEdit
}

// Len returns the number of codes with an MUE.
func (m *MUE) Len() int {
	if m == nil {
		return 0
	}
	return len(m.m)
}

// Edit returns the MUE of code.
func (m *MUE) Edit(code string) (MUEEdit, bool) {
	if m == nil {
		return MUEEdit{}, false
	}
	k, ok := packCode(code)
	if !ok {
		return MUEEdit{}, false
	}
	e, ok := m.m[k]
	return e, ok
}

// Each calls fn for every edit in code order until fn returns false.
func (m *MUE) Each(fn func(MUEEdit) bool) {
	keys := make([]uint32, 0, len(m.m))
	for k := range m.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		if !fn(m.m[k]) {
			return
		}
	}
}

// ParseMUE reads a CMS MUE table (practitioner, outpatient hospital or DME
// supplier services), CSV as CMS ships it or tab-delimited: a preamble, a
// header row "HCPCS/CPT Code", "<Setting> Services MUE Values", "MUE
// Adjudication Indicator", "MUE Rationale", then one row per code. The
// indicator cell holds the digit and its text ("2 Date of Service Edit:
// Policy"). It returns the table and the setting the header names (ok false
// when the header names none). A malformed row is an error naming its line.
func ParseMUE(r io.Reader, name string) (m *MUE, setting Setting, named bool, err error) {
	header := func(f []string) {
		h := strings.ToLower(strings.Join(f, " "))
		switch {
		case strings.Contains(h, "practitioner"):
			setting, named = Practitioner, true
		case strings.Contains(h, "hospital") || strings.Contains(h, "facility"):
			setting, named = Hospital, true
		case strings.Contains(h, "dme"):
			setting, named = DME, true
		}
	}
	m = &MUE{m: map[uint32]MUEEdit{}}
	err = readTable(r, name, isMUEHeader, header, func(line int, f []string) error {
		fail := func(format string, args ...any) error {
			return &ParseError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
		}
		if len(f) < 3 {
			return fail("%d fields; an MUE row has 4 (code, MUE value, adjudication indicator, rationale)", len(f))
		}
		var e MUEEdit
		code, k := ProcedureCode(f[0])
		if k == ProcedureMalformed {
			return fail("code %q is not a CPT or HCPCS code", strings.TrimSpace(f[0]))
		}
		e.Code = code
		v, err := strconv.Atoi(strings.TrimSpace(f[1]))
		if err != nil || v < 0 || v > 1000000 {
			return fail("MUE value %q is not a number of units", strings.TrimSpace(f[1]))
		}
		e.Value = v
		mai := strings.TrimSpace(f[2])
		if mai == "" || mai[0] < '1' || mai[0] > '3' || len(mai) > 1 && mai[1] != ' ' {
			return fail("MUE adjudication indicator %q must start with 1, 2 or 3", mai)
		}
		e.MAI = int(mai[0] - '0')
		if len(f) > 3 {
			e.Rationale = strings.Join(strings.Fields(f[3]), " ")
		}
		pk, _ := packCode(code)
		if _, dup := m.m[pk]; dup {
			return fail("code %s appears twice", code)
		}
		m.m[pk] = e
		return nil
	})
	if err != nil {
		return nil, 0, false, err
	}
	if len(m.m) == 0 {
		return nil, 0, false, &ParseError{File: name, Msg: "no edits after the header row"}
	}
	m.Setting = setting
	return m, setting, named, nil
}

// NCCIModifiers are the NCCI PTP-associated modifiers: with modifier
// indicator 1, one of them on either code of the pair bypasses the edit
// when the services were distinct. Source: CMS, NCCI Policy Manual for
// Medicare Services, chapter I, "Modifiers and Modifier Indicators";
// MLN booklet "How to Use the NCCI Tools".
var NCCIModifiers = map[string]string{
	"59": "distinct procedural service", "XE": "separate encounter", "XS": "separate structure",
	"XP": "separate practitioner", "XU": "unusual non-overlapping service",
	"25": "significant, separately identifiable E/M", "57": "decision for surgery", "24": "unrelated E/M, postoperative",
	"58": "staged or related procedure", "78": "unplanned return to the OR", "79": "unrelated procedure, postoperative",
	"27": "multiple outpatient hospital E/M", "91": "repeat clinical laboratory test",
	"E1": "upper left eyelid", "E2": "lower left eyelid", "E3": "upper right eyelid", "E4": "lower right eyelid",
	"FA": "left thumb", "F1": "left hand, second digit", "F2": "left hand, third digit", "F3": "left hand, fourth digit",
	"F4": "left hand, fifth digit", "F5": "right thumb", "F6": "right hand, second digit", "F7": "right hand, third digit",
	"F8": "right hand, fourth digit", "F9": "right hand, fifth digit", "TA": "left great toe", "T1": "left foot, second digit",
	"T2": "left foot, third digit", "T3": "left foot, fourth digit", "T4": "left foot, fifth digit", "T5": "right great toe",
	"T6": "right foot, second digit", "T7": "right foot, third digit", "T8": "right foot, fourth digit",
	"T9": "right foot, fifth digit", "LT": "left side", "RT": "right side", "LC": "left circumflex coronary artery",
	"LD": "left anterior descending coronary artery", "RC": "right coronary artery", "LM": "left main coronary artery",
	"RI": "ramus intermedius coronary artery",
}
