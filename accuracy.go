package ward

import (
	"sort"
	"time"
)

// AccuracyTarget is the chart-level coding accuracy top operations reach
// (the brief: 96% and above).
const AccuracyTarget = 0.96

// AccuracyBy says whose accuracy a report groups by.
type AccuracyBy string

// Groupings.
const (
	AccuracyByCoder  AccuracyBy = "coder"
	AccuracyByTeam   AccuracyBy = "team"
	AccuracyByVendor AccuracyBy = "vendor"
)

// Valid reports whether b is a known grouping.
func (b AccuracyBy) Valid() bool {
	return b == AccuracyByCoder || b == AccuracyByTeam || b == AccuracyByVendor
}

// AccuracyRow is the coding accuracy of one coder, team or vendor.
//
// A chart counts once it is decided: reviewed (its final codes are the
// reviewer's) or checked with no finding (its final codes are the ones
// submitted). Charts still in review are only counted as Pending.
type AccuracyRow struct {
	Key            string         `json:"key"` // worker, team or vendor ID
	Charts         int            `json:"charts"`
	ChartsCorrect  int            `json:"charts_correct"` // submitted codes equal the final codes
	ChartAccuracy  float64        `json:"chart_accuracy"` // ChartsCorrect / Charts
	Target         float64        `json:"target"`         // AccuracyTarget
	CodesSubmitted int            `json:"codes_submitted"`
	CodesFinal     int            `json:"codes_final"`
	CodesMatched   int            `json:"codes_matched"` // submitted codes that are final codes
	Precision      float64        `json:"precision"`     // CodesMatched / CodesSubmitted
	Recall         float64        `json:"recall"`        // CodesMatched / CodesFinal
	FindingsByRule map[string]int `json:"findings_by_rule"`
	Pending        int            `json:"pending"`
	Weeks          []AccuracyWeek `json:"weeks"` // oldest first
}

// AccuracyWeek is one week of a row's trend, by submission time in UTC;
// weeks start on Monday.
type AccuracyWeek struct {
	Week          Date    `json:"week"`
	Charts        int     `json:"charts"`
	ChartsCorrect int     `json:"charts_correct"`
	ChartAccuracy float64 `json:"chart_accuracy"`
}

// Accuracy computes chart- and code-level accuracy of subs grouped by b,
// rows ordered by key. Diagnosis and procedure codes count alike; order,
// sequence and units do not (a chart with the right codes in another order
// is correct).
func Accuracy(subs []*Submission, b AccuracyBy) []AccuracyRow {
	rows := make(map[string]*AccuracyRow)
	weeks := make(map[string]map[Date]*AccuracyWeek)
	for _, s := range subs {
		key := s.WorkerID
		switch b {
		case AccuracyByTeam:
			key = s.TeamID
		case AccuracyByVendor:
			key = s.VendorID
		}
		r := rows[key]
		if r == nil {
			r = &AccuracyRow{Key: key, Target: AccuracyTarget, FindingsByRule: make(map[string]int)}
			rows[key] = r
			weeks[key] = make(map[Date]*AccuracyWeek)
		}
		for _, f := range s.Findings {
			r.FindingsByRule[f.Rule]++
		}
		submitted := codeSet(s.Diagnoses, s.Procedures)
		var final map[string]bool
		switch {
		case s.Review != nil:
			final = codeSet(s.Review.FinalDiagnoses, s.Review.FinalProcedures)
		case s.Status == SubmissionChecked:
			final = submitted
		default:
			r.Pending++
			continue
		}
		matched := 0
		for c := range submitted {
			if final[c] {
				matched++
			}
		}
		correct := matched == len(submitted) && matched == len(final)
		r.Charts++
		r.CodesSubmitted += len(submitted)
		r.CodesFinal += len(final)
		r.CodesMatched += matched
		wk := weekOf(s.CreatedAt)
		w := weeks[key][wk]
		if w == nil {
			w = &AccuracyWeek{Week: wk}
			weeks[key][wk] = w
		}
		w.Charts++
		if correct {
			r.ChartsCorrect++
			w.ChartsCorrect++
		}
	}
	out := make([]AccuracyRow, 0, len(rows))
	for key, r := range rows {
		r.ChartAccuracy = ratio(r.ChartsCorrect, r.Charts)
		r.Precision = ratio(r.CodesMatched, r.CodesSubmitted)
		r.Recall = ratio(r.CodesMatched, r.CodesFinal)
		for _, w := range weeks[key] {
			w.ChartAccuracy = ratio(w.ChartsCorrect, w.Charts)
			r.Weeks = append(r.Weeks, *w)
		}
		sort.Slice(r.Weeks, func(i, j int) bool { return r.Weeks[i].Week.Before(r.Weeks[j].Week) })
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// codeSet returns the distinct codes of a chart, procedures marked apart
// from diagnoses so that a code cannot match across the two lists.
func codeSet(dx []CodedDiagnosis, px []CodedProcedure) map[string]bool {
	m := make(map[string]bool, len(dx)+len(px))
	for _, d := range dx {
		m["dx:"+d.Code] = true
	}
	for _, p := range px {
		m["px:"+p.Code] = true
	}
	return m
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// weekOf returns the Monday of t's week, in UTC.
func weekOf(t time.Time) Date {
	d := DateOf(t.UTC())
	wd := int(d.In(time.UTC).Weekday()+6) % 7 // Monday = 0
	return d.AddDays(-wd)
}
