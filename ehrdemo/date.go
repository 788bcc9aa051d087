package ehrdemo

import (
	"math"
	"time"
)

// Date ranges are half-open [lo, hi) in Unix milliseconds. An open end of a
// Period is negInf or posInf.
const (
	negInf = math.MinInt64
	posInf = math.MaxInt64
)

// parseDateRange parses a FHIR date, dateTime or instant ("2020", "2020-03",
// "2020-03-07", "2020-03-07T10:15", "2020-03-07T10:15:30.250+01:00") and
// returns the range its precision covers. A time without a zone is taken as UTC.
func parseDateRange(s string) (lo, hi int64, ok bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok := num(0, 4)
	if !ok || year < 1 {
		return 0, 0, false
	}
	if len(s) == 4 {
		t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		return t.UnixMilli(), t.AddDate(1, 0, 0).UnixMilli(), true
	}
	if s[4] != '-' {
		return 0, 0, false
	}
	month, ok := num(5, 2)
	if !ok || month < 1 || month > 12 {
		return 0, 0, false
	}
	if len(s) == 7 {
		t := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		return t.UnixMilli(), t.AddDate(0, 1, 0).UnixMilli(), true
	}
	if s[7] != '-' {
		return 0, 0, false
	}
	day, ok := num(8, 2)
	if !ok || day < 1 || day > daysIn(year, month) {
		return 0, 0, false
	}
	if len(s) == 10 {
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		return t.UnixMilli(), t.AddDate(0, 0, 1).UnixMilli(), true
	}
	if s[10] != 'T' {
		return 0, 0, false
	}
	hour, ok1 := num(11, 2)
	minute, ok2 := num(14, 2)
	if !ok1 || !ok2 || len(s) < 16 || s[13] != ':' || hour > 23 || minute > 59 {
		return 0, 0, false
	}
	i := 16
	sec, msec := 0, 0
	step := int64(time.Minute / time.Millisecond)
	if i < len(s) && s[i] == ':' {
		if sec, ok = num(i+1, 2); !ok || sec > 59 {
			return 0, 0, false
		}
		i += 3
		step = 1000
		if i < len(s) && s[i] == '.' {
			i++
			digits := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if digits < 3 {
					msec = msec*10 + int(s[i]-'0')
				}
				digits++
				i++
			}
			if digits == 0 || digits > 9 {
				return 0, 0, false
			}
			for d := digits; d < 3; d++ {
				msec *= 10
			}
			switch digits {
			case 1:
				step = 100
			case 2:
				step = 10
			default:
				step = 1
			}
		}
	}
	loc := time.UTC
	switch {
	case i == len(s):
	case s[i] == 'Z' && i+1 == len(s):
	case (s[i] == '+' || s[i] == '-') && i+6 == len(s) && s[i+3] == ':':
		zh, ok1 := num(i+1, 2)
		zm, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || zh > 14 || zm > 59 {
			return 0, 0, false
		}
		off := (zh*60 + zm) * 60
		if s[i] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	default:
		return 0, 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, msec*int(time.Millisecond), loc)
	lo = t.UnixMilli()
	return lo, lo + step, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// periodRange returns the range covered by a Period. A missing start or end is open.
func periodRange(p *period) (lo, hi int64, ok bool) {
	if p == nil || (p.Start == "" && p.End == "") {
		return 0, 0, false
	}
	lo, hi = negInf, posInf
	if p.Start != "" {
		l, _, ok := parseDateRange(p.Start)
		if !ok {
			return 0, 0, false
		}
		lo = l
	}
	if p.End != "" {
		_, h, ok := parseDateRange(p.End)
		if !ok {
			return 0, 0, false
		}
		hi = h
	}
	return lo, hi, true
}

// parseTime parses a FHIR dateTime to a time.Time (the start of its range).
func parseTime(s string) (time.Time, bool) {
	lo, _, ok := parseDateRange(s)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(lo).UTC(), true
}

// formatInstant formats t as a FHIR instant in UTC, keeping milliseconds only when set.
func formatInstant(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05Z")
}
