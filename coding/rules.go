package coding

import (
	"fmt"
	"strings"

	"github.com/wardhq/ward/coding/codeset"
)

// validity: malformed, unknown, deleted, not yet valid and header codes,
// and codes listed twice.
func (c *checker) validity() {
	seen := map[string]int{}
	for _, d := range c.dxs {
		f := Finding{Rule: RuleValidity, Severity: SeverityError, Evidence: Evidence{Codes: []string{d.code}, Fields: []string{dxField(d.i)}}}
		switch {
		case d.key == "":
			f.Message = fmt.Sprintf("%q is not a well-formed ICD-10-CM code: a letter, a digit, a letter or digit, then up to four letters or digits after the dot.", d.code)
		case c.ver == nil:
			f.Message = "No ICD-10-CM release is loaded."
		case d.c != nil && d.c.Billable:
			if prev, dup := seen[d.key]; dup {
				f.Severity = SeverityWarning
				f.Message = fmt.Sprintf("%s is listed twice (diagnoses %d and %d).", d.code, prev+1, d.i+1)
				f.Evidence.Fields = []string{dxField(prev), dxField(d.i)}
				c.add(f)
			}
			seen[d.key] = d.i
			continue
		case d.c != nil:
			f.Message = fmt.Sprintf("%s is a header code, not valid for billing: code to the highest specificity under it.", title(d.c))
			f.Evidence.Suggest = billableUnder(c.ver, d.key, 5)
		default:
			f.Message, f.Severity = c.notInRelease(d)
		}
		c.add(f)
	}
	for _, p := range c.pxs {
		f := Finding{Rule: RuleValidity, Severity: SeverityError, Evidence: Evidence{Codes: []string{p.code}, Fields: []string{pxField(p.i)}}}
		switch {
		case p.kind == codeset.ProcedureMalformed:
			f.Message = fmt.Sprintf("%q is not a well-formed CPT code (five digits, or four digits and F, T or U) or HCPCS Level II code (a letter and four digits).", p.code)
		case !p.ok:
			h := c.v.rel.HCPCS
			switch {
			case h == nil:
				f.Message = fmt.Sprintf("%s cannot be checked: no HCPCS Level II release is loaded.", p.code)
				f.Severity = SeverityWarning
			case !c.sub.DateOfService.IsZero() && h.Through.Before(c.sub.DateOfService):
				f.Message = fmt.Sprintf("%s is not in %s, which is older than the date of service %s; it may be a newer code.", p.code, h.Name, c.sub.DateOfService)
				f.Severity = SeverityWarning
			default:
				f.Message = fmt.Sprintf("%s is not a HCPCS Level II code in %s.", p.code, h.Name)
			}
		default:
			continue
		}
		c.add(f)
	}
}

// notInRelease explains a well-formed diagnosis code that the release in
// effect on the date of service lacks.
func (c *checker) notInRelease(d dx) (string, Severity) {
	dos := c.sub.DateOfService
	var earlier, later *codeset.ICD10CM
	for _, v := range c.v.rel.ICD10CM {
		if v == c.ver {
			continue
		}
		if _, ok := v.LookupKey(d.key); ok {
			if v.From.Before(c.ver.From) {
				earlier = v
			} else if later == nil {
				later = v
			}
		}
	}
	switch {
	case earlier != nil:
		return fmt.Sprintf("%s was deleted: it is in %s (through %s) but not in %s, in effect on the date of service %s.", d.code, earlier.Name, earlier.Through, c.ver.Name, dos), SeverityError
	case later != nil:
		return fmt.Sprintf("%s is not valid yet on the date of service %s: it starts with %s (from %s).", d.code, dos, later.Name, later.From), SeverityError
	case !c.covered && !dos.IsZero() && c.ver.Through.Before(dos):
		return fmt.Sprintf("%s is not in %s, the newest loaded ICD-10-CM release, which ends %s, before the date of service %s; import the current release.", d.code, c.ver.Name, c.ver.Through, dos), SeverityWarning
	}
	return fmt.Sprintf("%s is not an ICD-10-CM code in %s.", d.code, c.ver.Name), SeverityError
}

// billableUnder returns up to n billable codes under header key k.
func billableUnder(v *codeset.ICD10CM, k string, n int) []string {
	var out []string
	v.Under(k, func(c *codeset.Code) bool {
		if c.Billable {
			out = append(out, c.Code)
		}
		return len(out) < n
	})
	return out
}

// ptp: NCCI procedure-to-procedure edits.
func (c *checker) ptp() {
	t := c.v.rel.PTP[c.opts.Setting]
	if t == nil {
		return
	}
	dos := c.sub.DateOfService
	for i, a := range c.pxs {
		if a.kind == codeset.ProcedureMalformed {
			continue
		}
		for j, b := range c.pxs {
			if i == j || b.kind == codeset.ProcedureMalformed || a.code == b.code {
				continue
			}
			e, ok := t.Edit(a.code, b.code, dos)
			if !ok {
				continue
			}
			f := Finding{Rule: RulePTP, Severity: SeverityError, Evidence: Evidence{Codes: []string{a.code, b.code}, Fields: []string{pxField(a.i), pxField(b.i)}}}
			why := ""
			if e.Rationale != "" {
				why = " (" + e.Rationale + ")"
			}
			switch e.Modifier {
			case 0:
				f.Message = fmt.Sprintf("NCCI PTP edit: %s is not payable with %s on the same date of service%s; modifier indicator 0, no modifier bypasses it.", b.code, a.code, why)
			case 1:
				if m := bypass(a.mods, b.mods); m != "" {
					continue
				}
				f.Message = fmt.Sprintf("NCCI PTP edit: %s is bundled into %s%s; modifier indicator 1: report both only for a distinct service, with an NCCI-associated modifier such as 59, XE, XS, XP, XU or 25 on the column 2 code.", b.code, a.code, why)
			default:
				continue
			}
			c.add(f)
		}
	}
}

// bypass returns the first NCCI-associated modifier on either code.
func bypass(a, b []string) string {
	for _, ms := range [2][]string{b, a} {
		for _, m := range ms {
			if _, ok := codeset.NCCIModifiers[m]; ok {
				return m
			}
		}
	}
	return ""
}

// mue: units over the medically unlikely edit.
func (c *checker) mue() {
	t := c.v.rel.MUE[c.opts.Setting]
	if t == nil {
		return
	}
	type total struct {
		units  int
		fields []string
		first  int
	}
	totals := map[string]*total{}
	var order []string
	for _, p := range c.pxs {
		if p.kind == codeset.ProcedureMalformed {
			continue
		}
		e, ok := t.Edit(p.code)
		if !ok {
			continue
		}
		units := c.sub.Procedures[p.i].Units
		if e.MAI == 1 {
			if units > e.Value {
				c.add(Finding{Rule: RuleMUE, Severity: SeverityError,
					Message:  fmt.Sprintf("%s: %d units on one line exceed the MUE of %d (adjudicated per claim line)%s.", p.code, units, e.Value, rationale(e)),
					Evidence: Evidence{Codes: []string{p.code}, Fields: []string{fmt.Sprintf("procedures[%d].units", p.i)}}})
			}
			continue
		}
		tt := totals[p.code]
		if tt == nil {
			tt = &total{first: p.i}
			totals[p.code] = tt
			order = append(order, p.code)
		}
		tt.units += units
		tt.fields = append(tt.fields, fmt.Sprintf("procedures[%d].units", p.i))
	}
	for _, code := range order {
		tt := totals[code]
		e, _ := t.Edit(code)
		if tt.units <= e.Value {
			continue
		}
		kind := "policy: an absolute limit"
		if e.MAI == 3 {
			kind = "clinical: more units need documentation on appeal"
		}
		c.add(Finding{Rule: RuleMUE, Severity: SeverityError,
			Message:  fmt.Sprintf("%s: %d units on the date of service exceed the MUE of %d (date-of-service edit, %s)%s.", code, tt.units, e.Value, kind, rationale(e)),
			Evidence: Evidence{Codes: []string{code}, Fields: tt.fields}})
	}
}

func rationale(e codeset.MUEEdit) string {
	if e.Rationale == "" {
		return ""
	}
	return "; rationale: " + e.Rationale
}

// ageSex: Medicare Code Editor style age and sex edits.
func (c *checker) ageSex() {
	age, sex := c.sub.PatientAge, c.sub.PatientSex
	for _, d := range c.dxs {
		if d.c == nil {
			continue
		}
		if c.opts.wants(RuleAge) && d.c.Age != codeset.AgeAny && !d.c.Age.Allows(age) {
			lo, hi := d.c.Age.Range()
			ages := fmt.Sprintf("ages %d-%d", lo, hi)
			if lo == hi {
				ages = fmt.Sprintf("age %d", lo)
			}
			c.add(Finding{Rule: RuleAge, Severity: SeverityError,
				Message:  fmt.Sprintf("%s is a %s diagnosis (%s); the patient is %d.", title(d.c), d.c.Age, ages, age),
				Evidence: Evidence{Codes: []string{d.code}, Fields: []string{dxField(d.i), "patient_age"}}})
		}
		if c.opts.wants(RuleSex) {
			var want string
			switch {
			case d.c.Sex == codeset.SexFemale && sex == "M":
				want = "female"
			case d.c.Sex == codeset.SexMale && sex == "F":
				want = "male"
			default:
				continue
			}
			c.add(Finding{Rule: RuleSex, Severity: SeverityError,
				Message:  fmt.Sprintf("%s is for %s patients only; the patient's sex is %s.", title(d.c), want, sex),
				Evidence: Evidence{Codes: []string{d.code}, Fields: []string{dxField(d.i), "patient_sex"}}})
		}
	}
}

// excludes1: pairs that an Excludes1 note forbids together.
func (c *checker) excludes1() {
	for i := 0; i < len(c.dxs); i++ {
		a := c.dxs[i]
		if a.c == nil {
			continue
		}
		for j := i + 1; j < len(c.dxs); j++ {
			b := c.dxs[j]
			if b.c == nil || a.key == b.key {
				continue
			}
			e, ok := c.ver.Excludes1(a.c, b.c)
			if !ok {
				continue
			}
			scope := e.Scope
			if k, ok := codeset.ICD10CMKey(scope); ok {
				scope = codeset.ICD10CMDotted(k)
			} else {
				scope = strings.Replace(scope, ":", " ", 1)
			}
			c.add(Finding{Rule: RuleExcludes1, Severity: SeverityError,
				Message:  fmt.Sprintf("%s and %s may not be coded together: the Excludes1 note at %s reads \"%s\".", a.code, b.code, scope, e.Text),
				Evidence: Evidence{Codes: []string{a.code, b.code}, Fields: []string{dxField(a.i), dxField(b.i)}}})
		}
	}
}
