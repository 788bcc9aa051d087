package ledger

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// TimeLayout is the fixed form of the event time in the canonical encoding:
// RFC 3339 in UTC with exactly nine fractional digits, so that every instant
// has one spelling.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// maxSafeInt is the largest integer that I-JSON (RFC 7493), and so RFC 8785,
// represents exactly: 2^53 - 1.
const maxSafeInt = 1<<53 - 1

// ErrNotCanonical is wrapped by every error Decode returns for input that is
// not the canonical encoding of an event. Use errors.Is(err, ErrNotCanonical).
var ErrNotCanonical = errors.New("not a canonical event")

// Encode returns the canonical encoding of e: RFC 8785 (JCS) JSON of the
// event under its json tags. Fields with omitempty are absent when empty;
// object keys are sorted by UTF-16 code units; strings use the minimal JCS
// escaping (only '"', '\\' and control characters are escaped, so '<', '>',
// '&', U+2028 and U+2029 appear as themselves, unlike encoding/json);
// integers are plain decimal; the time is in the fixed form TimeLayout.
//
// Encode is deterministic: equal events (Details in any map order) give
// equal bytes, and Decode(Encode(e)) equals e up to the usual JSON losses
// (a nil and an empty slice or map both encode as absent; the time comes
// back in UTC).
//
// Like encoding/json, Encode replaces each byte of invalid UTF-8 in a string
// value with U+FFFD, so that an event is never refused for a malformed byte
// in client input; such a string does not round-trip. Encode fails for a
// Details key that is not valid UTF-8 (keys are ward's own lower_snake_case
// names), a time outside years 0000-9999, or an integer beyond ±(2^53-1).
func Encode(e *ward.Event) ([]byte, error) {
	return appendEvent(make([]byte, 0, 512), e)
}

// appendEvent appends the canonical encoding of e to b. The field order
// below is the sorted order of the json keys; TestEncodeCoversEveryField
// fails if ward.Event gains a field that is not encoded here.
func appendEvent(b []byte, e *ward.Event) ([]byte, error) {
	if e == nil {
		return b, errors.New("nil event")
	}
	var err error
	b = append(b, `{"action":`...)
	b = appendString(b, e.Action)

	b = append(b, `,"actor":{`...)
	start := len(b)
	b = appendField(b, start, "device_id", e.Actor.DeviceID)
	b = appendField(b, start, "role", string(e.Actor.Role))
	b = appendField(b, start, "session_id", e.Actor.SessionID)
	b = appendSep(b, start)
	b = append(b, `"subject":`...)
	b = appendString(b, e.Actor.Subject)
	b = appendField(b, start, "team_id", e.Actor.TeamID)
	b = appendField(b, start, "username", e.Actor.Username)
	b = appendField(b, start, "vendor_id", e.Actor.VendorID)
	b = appendField(b, start, "worker_id", e.Actor.WorkerID)
	b = append(b, '}')

	if len(e.Details) > 0 {
		b = append(b, `,"details":`...)
		if b, err = appendMap(b, e.Details); err != nil {
			return b, err
		}
	}

	b = append(b, `,"origin":{`...)
	start = len(b)
	b = appendField(b, start, "client_addr", e.Origin.ClientAddr)
	b = appendField(b, start, "country", e.Origin.Country)
	b = appendField(b, start, "site_id", e.Origin.SiteID)
	b = append(b, '}')

	b = append(b, `,"outcome":{`...)
	start = len(b)
	if b, err = appendIntField(b, start, "count", e.Outcome.Count); err != nil {
		return b, err
	}
	b = appendSep(b, start)
	b = append(b, `"decision":`...)
	b = appendString(b, e.Outcome.Decision)
	b = appendListField(b, start, "policies", e.Outcome.Policies)
	b = appendListField(b, start, "reasons", e.Outcome.Reasons)
	b = appendListField(b, start, "removed", e.Outcome.Removed)
	if b, err = appendIntField(b, start, "status", e.Outcome.Status); err != nil {
		return b, err
	}
	b = append(b, '}')

	if e.Purpose != "" {
		b = append(b, `,"purpose":`...)
		b = appendString(b, e.Purpose)
	}
	if e.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendString(b, e.RequestID)
	}

	b = append(b, `,"target":{`...)
	start = len(b)
	b = appendField(b, start, "grant_id", e.Target.GrantID)
	b = appendField(b, start, "patient_ref", e.Target.PatientRef)
	b = appendField(b, start, "query", e.Target.Query)
	b = appendField(b, start, "resource_id", e.Target.ResourceID)
	b = appendField(b, start, "resource_type", e.Target.ResourceType)
	b = appendField(b, start, "task_id", e.Target.TaskID)
	b = append(b, '}')

	t := e.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return b, fmt.Errorf("time %v: year outside 0000-9999", y)
	}
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, TimeLayout)
	b = append(b, `"}`...)
	return b, nil
}

// appendSep appends the comma that separates a member from the previous
// one, unless the object (which began at start) is still empty.
func appendSep(b []byte, start int) []byte {
	if len(b) > start {
		b = append(b, ',')
	}
	return b
}

// appendField appends an omitempty string member.
func appendField(b []byte, start int, name, v string) []byte {
	if v == "" {
		return b
	}
	b = appendSep(b, start)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, v)
}

// appendIntField appends an omitempty integer member.
func appendIntField(b []byte, start int, name string, v int) ([]byte, error) {
	if v == 0 {
		return b, nil
	}
	if v > maxSafeInt || v < -maxSafeInt {
		return b, fmt.Errorf("%s %d: beyond ±(2^53-1)", name, v)
	}
	b = appendSep(b, start)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return strconv.AppendInt(b, int64(v), 10), nil
}

// appendListField appends an omitempty list of strings.
func appendListField(b []byte, start int, name string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendSep(b, start)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendMap appends m with its keys in UTF-16 code unit order.
func appendMap(b []byte, m map[string]string) ([]byte, error) {
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		if !utf8.ValidString(k) {
			return b, fmt.Errorf("details key %q: invalid UTF-8", k)
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareUTF16)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string with JCS escaping: '"' and '\\'
// escaped, \b \t \n \f \r in short form, other control characters as
// \u00xx with lower-case hex, everything else as itself. Invalid UTF-8
// becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[last:i]...)
				b = append(b, "\uFFFD"...)
				i++
				last = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		last = i
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

// compareUTF16 orders a and b by their UTF-16 code units, as RFC 8785
// sorts object keys. UTF-8 byte order is code point order, which differs
// from UTF-16 order only between U+E000..U+FFFF and the supplementary
// planes (encoded as surrogates D800..DFFF).
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := utf16Key(ra), utf16Key(rb)
			if ua < ub {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// utf16Key maps r to a value that orders runes as their UTF-16 encodings
// order: BMP below the surrogates, then the supplementary planes (whose
// high surrogates come first), then U+E000..U+FFFF.
func utf16Key(r rune) rune {
	switch {
	case r < 0xD800:
		return r
	case r >= 0x10000:
		return 0xD800 + (r - 0x10000)
	default:
		return r + 0x100000
	}
}

// Decode parses the canonical encoding of an event. It accepts exactly the
// bytes Encode produces: any other spelling (whitespace, key order,
// escapes, an empty optional field, an unknown field) is an error wrapping
// ErrNotCanonical, so that every leaf has one meaning and one encoding. A
// leaf written by a newer ward with a field this build does not know fails
// with an "unknown field" error: verify with a ward at least as new as the
// writer.
func Decode(data []byte) (*ward.Event, error) {
	e := new(ward.Event)
	var d decoder
	if err := d.decode(e, string(data)); err != nil {
		return nil, err
	}
	return e, nil
}

// decoder parses canonical events. A decoder may be reused: decode resets
// the event it fills but keeps its scratch buffers.
type decoder struct {
	s   string
	i   int
	buf []byte // re-encoding for the canonical check; scratch for unescaping
}

// decode fills e from s and checks that s is the canonical encoding of e.
// Strings in e may share memory with s. Slices and a map already in e are
// reused.
func (d *decoder) decode(e *ward.Event, s string) error {
	reset(e)
	d.s, d.i = s, 0
	if err := d.event(e); err != nil {
		return fmt.Errorf("%w: %v", ErrNotCanonical, err)
	}
	if d.i != len(d.s) {
		return fmt.Errorf("%w: data after the event at offset %d", ErrNotCanonical, d.i)
	}
	var err error
	d.buf, err = appendEvent(d.buf[:0], e)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotCanonical, err)
	}
	if string(d.buf) != s {
		return fmt.Errorf("%w: not in canonical form (%s)", ErrNotCanonical, firstDiff(d.buf, s))
	}
	return nil
}

// firstDiff describes where canonical and s first differ.
func firstDiff(canonical []byte, s string) string {
	i := 0
	for i < len(canonical) && i < len(s) && canonical[i] == s[i] {
		i++
	}
	return fmt.Sprintf("differs from the canonical encoding at offset %d", i)
}

// reset zeroes e, keeping the capacity of its slices and map.
func reset(e *ward.Event) {
	details := e.Details
	clear(details)
	o := e.Outcome
	*e = ward.Event{Details: details}
	e.Outcome.Reasons = o.Reasons[:0]
	e.Outcome.Policies = o.Policies[:0]
	e.Outcome.Removed = o.Removed[:0]
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

func (d *decoder) expect(c byte) error {
	if d.i >= len(d.s) {
		return d.errorf("unexpected end, want %q", c)
	}
	if d.s[d.i] != c {
		return d.errorf("unexpected %q, want %q", d.s[d.i], c)
	}
	d.i++
	return nil
}

// object parses an object, calling member for each key with the decoder
// positioned at the value.
func (d *decoder) object(member func(key string) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		key, err := d.string()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if d.i >= len(d.s) {
			return d.errorf("unexpected end of object")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.errorf("unexpected %q in object", d.s[d.i])
		}
	}
}

func unknown(key string) error { return fmt.Errorf("unknown field %q", key) }

func (d *decoder) event(e *ward.Event) error {
	return d.object(func(key string) (err error) {
		switch key {
		case "action":
			e.Action, err = d.string()
		case "actor":
			err = d.actor(&e.Actor)
		case "details":
			err = d.details(e)
		case "origin":
			err = d.origin(&e.Origin)
		case "outcome":
			err = d.outcome(&e.Outcome)
		case "purpose":
			e.Purpose, err = d.string()
		case "request_id":
			e.RequestID, err = d.string()
		case "target":
			err = d.target(&e.Target)
		case "time":
			e.Time, err = d.time()
		default:
			err = unknown(key)
		}
		return err
	})
}

func (d *decoder) actor(a *ward.EventActor) error {
	return d.object(func(key string) (err error) {
		switch key {
		case "device_id":
			a.DeviceID, err = d.string()
		case "role":
			var s string
			s, err = d.string()
			a.Role = ward.Role(s)
		case "session_id":
			a.SessionID, err = d.string()
		case "subject":
			a.Subject, err = d.string()
		case "team_id":
			a.TeamID, err = d.string()
		case "username":
			a.Username, err = d.string()
		case "vendor_id":
			a.VendorID, err = d.string()
		case "worker_id":
			a.WorkerID, err = d.string()
		default:
			err = unknown("actor." + key)
		}
		return err
	})
}

func (d *decoder) target(t *ward.EventTarget) error {
	return d.object(func(key string) (err error) {
		switch key {
		case "grant_id":
			t.GrantID, err = d.string()
		case "patient_ref":
			t.PatientRef, err = d.string()
		case "query":
			t.Query, err = d.string()
		case "resource_id":
			t.ResourceID, err = d.string()
		case "resource_type":
			t.ResourceType, err = d.string()
		case "task_id":
			t.TaskID, err = d.string()
		default:
			err = unknown("target." + key)
		}
		return err
	})
}

func (d *decoder) origin(o *ward.EventOrigin) error {
	return d.object(func(key string) (err error) {
		switch key {
		case "client_addr":
			o.ClientAddr, err = d.string()
		case "country":
			o.Country, err = d.string()
		case "site_id":
			o.SiteID, err = d.string()
		default:
			err = unknown("origin." + key)
		}
		return err
	})
}

func (d *decoder) outcome(o *ward.EventOutcome) error {
	return d.object(func(key string) (err error) {
		switch key {
		case "count":
			o.Count, err = d.int()
		case "decision":
			o.Decision, err = d.string()
		case "policies":
			o.Policies, err = d.list(o.Policies)
		case "reasons":
			o.Reasons, err = d.list(o.Reasons)
		case "removed":
			o.Removed, err = d.list(o.Removed)
		case "status":
			o.Status, err = d.int()
		default:
			err = unknown("outcome." + key)
		}
		return err
	})
}

func (d *decoder) details(e *ward.Event) error {
	if e.Details == nil {
		e.Details = make(map[string]string)
	}
	return d.object(func(key string) error {
		v, err := d.string()
		e.Details[key] = v
		return err
	})
}

func (d *decoder) list(dst []string) ([]string, error) {
	if err := d.expect('['); err != nil {
		return dst, err
	}
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return dst, nil
	}
	for {
		s, err := d.string()
		if err != nil {
			return dst, err
		}
		dst = append(dst, s)
		if d.i >= len(d.s) {
			return dst, d.errorf("unexpected end of array")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return dst, nil
		default:
			return dst, d.errorf("unexpected %q in array", d.s[d.i])
		}
	}
}

// int parses an integer: an optional '-' and decimal digits, at most
// ±(2^53-1). Leading zeros and "-0" parse but fail the canonical check.
func (d *decoder) int() (int, error) {
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || d.i-digits > 16 {
		return 0, d.errorf("want an integer of 1 to 16 digits")
	}
	n, err := strconv.ParseInt(d.s[start:d.i], 10, 64)
	if err != nil || n > maxSafeInt || n < -maxSafeInt {
		return 0, d.errorf("integer %s beyond ±(2^53-1)", d.s[start:d.i])
	}
	return int(n), nil
}

// time parses a string in TimeLayout. Out-of-range fields (month 13,
// February 30) normalise and then fail the canonical check.
func (d *decoder) time() (time.Time, error) {
	s, err := d.string()
	if err != nil {
		return time.Time{}, err
	}
	// 2006-01-02T15:04:05.000000000Z
	// 0    5  8  11 14 17 20        29
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != '.' || s[29] != 'Z' {
		return time.Time{}, fmt.Errorf("time %q: want the form %s", s, TimeLayout)
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, nsec := num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || sec < 0 || nsec < 0 {
		return time.Time{}, fmt.Errorf("time %q: want the form %s", s, TimeLayout)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), nil
}

// string parses a JSON string. Without escapes the result is a substring
// of d.s (no copy).
func (d *decoder) string() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			return s, nil
		case c == '\\':
			return d.unescape(start)
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.errorf("invalid UTF-8 in string")
			}
			d.i += size
		}
	}
	return "", d.errorf("unterminated string")
}

// unescape continues string at the first backslash; the string began at
// start.
func (d *decoder) unescape(start int) (string, error) {
	b := append([]byte(nil), d.s[start:d.i]...)
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", d.errorf("unterminated escape")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || d.i+1 >= len(d.s) || d.s[d.i] != '\\' || d.s[d.i+1] != 'u' {
						return "", d.errorf("unpaired surrogate")
					}
					d.i += 2
					r2, err := d.hex4()
					if err != nil {
						return "", err
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return "", d.errorf("unpaired surrogate")
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", d.errorf("invalid escape \\%c", e)
			}
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.errorf("invalid UTF-8 in string")
			}
			b = append(b, d.s[d.i:d.i+size]...)
			d.i += size
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, error) {
	if d.i+4 > len(d.s) {
		return 0, d.errorf("short \\u escape")
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, d.errorf("invalid \\u escape")
		}
	}
	d.i += 4
	return r, nil
}
