package export

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/wardhq/ward"
)

// CEF is one ArcSight Common Event Format (version 0) record.
type CEF struct {
	Vendor, Product, Version string
	SignatureID, Name        string
	Severity                 string // "0" to "10", or Low, Medium, High, Very-High
	Extension                []CEFField
}

// CEFField is one key=value pair of a CEF extension.
type CEFField struct {
	Key, Value string
}

// Get returns the value of the first extension field named key.
func (c *CEF) Get(key string) (string, bool) {
	for _, f := range c.Extension {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// AppendText appends c as one CEF line (without a line terminator) to b.
//
// Header fields escape "\" and "|" with a backslash; a line break in a
// header field, which CEF cannot carry, becomes a space. Extension values
// escape "\" and "=" with a backslash and line breaks as \n and \r; "|"
// needs no escape there. Keys must be letters, digits or "_"; AppendText
// returns an error otherwise, because no escape exists for keys.
func (c *CEF) AppendText(b []byte) ([]byte, error) {
	b = append(b, "CEF:0"...)
	for _, h := range [...]string{c.Vendor, c.Product, c.Version, c.SignatureID, c.Name, c.Severity} {
		b = append(b, '|')
		b = appendCEFHeader(b, h)
	}
	b = append(b, '|')
	for i, f := range c.Extension {
		if !validCEFKey(f.Key) {
			return b, fmt.Errorf("cef: invalid extension key %q", f.Key)
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f.Key...)
		b = append(b, '=')
		b = appendCEFValue(b, f.Value)
	}
	return b, nil
}

// String returns c as one CEF line, or "" when a key is invalid.
func (c *CEF) String() string {
	b, err := c.AppendText(nil)
	if err != nil {
		return ""
	}
	return string(b)
}

func appendCEFHeader(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '|':
			b = append(b, '\\', ch)
		case '\n', '\r':
			b = append(b, ' ')
		default:
			b = append(b, ch)
		}
	}
	return b
}

func appendCEFValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '=':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, ch)
		}
	}
	return b
}

func validCEFKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isCEFKeyByte(k[i]) {
			return false
		}
	}
	return true
}

func isCEFKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// ErrCEFSyntax is returned, wrapped, by ParseCEF for a malformed line; use
// errors.Is(err, ErrCEFSyntax).
var ErrCEFSyntax = errors.New("cef syntax")

// ParseCEF parses one CEF:0 line as AppendText writes it, undoing its
// escapes. It is the inverse of AppendText except that header line breaks
// come back as spaces. A trailing line terminator is ignored.
func ParseCEF(line string) (*CEF, error) {
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	rest, ok := strings.CutPrefix(line, "CEF:0|")
	if !ok {
		return nil, fmt.Errorf("%w: line does not start with CEF:0|", ErrCEFSyntax)
	}
	var header [6]string
	for i := range header {
		var sb strings.Builder
		j := 0
		for ; j < len(rest); j++ {
			ch := rest[j]
			if ch == '|' {
				break
			}
			if ch == '\\' && j+1 < len(rest) && (rest[j+1] == '\\' || rest[j+1] == '|') {
				j++
				ch = rest[j]
			}
			sb.WriteByte(ch)
		}
		if j == len(rest) {
			return nil, fmt.Errorf("%w: header has %d of 7 fields", ErrCEFSyntax, i+1)
		}
		header[i] = sb.String()
		rest = rest[j+1:]
	}
	c := &CEF{Vendor: header[0], Product: header[1], Version: header[2], SignatureID: header[3], Name: header[4], Severity: header[5]}
	ext, err := parseCEFExtension(rest)
	if err != nil {
		return nil, err
	}
	c.Extension = ext
	return c, nil
}

// parseCEFExtension splits s at its unescaped "=" signs: each is preceded
// by a key, which starts s or follows the space that ends the previous
// value. Values run to that space (or the end) and may contain spaces.
func parseCEFExtension(s string) ([]CEFField, error) {
	if s == "" {
		return nil, nil
	}
	type pos struct{ keyStart, eq int }
	var ps []pos
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped byte
		case '=':
			k := i
			for k > 0 && isCEFKeyByte(s[k-1]) {
				k--
			}
			if k == i || (k > 0 && s[k-1] != ' ') || (k == 0 && len(ps) > 0) {
				return nil, fmt.Errorf("%w: unescaped '=' at byte %d is not after a key", ErrCEFSyntax, i)
			}
			if len(ps) == 0 && k != 0 {
				return nil, fmt.Errorf("%w: extension does not start with a key", ErrCEFSyntax)
			}
			ps = append(ps, pos{k, i})
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: extension has no key=value", ErrCEFSyntax)
	}
	fields := make([]CEFField, len(ps))
	for n, p := range ps {
		end := len(s)
		if n+1 < len(ps) {
			end = ps[n+1].keyStart - 1 // the separating space
		}
		v, err := unescapeCEFValue(s[p.eq+1 : end])
		if err != nil {
			return nil, err
		}
		fields[n] = CEFField{Key: s[p.keyStart:p.eq], Value: v}
	}
	return fields, nil
}

func unescapeCEFValue(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' {
			if i+1 == len(s) {
				return "", fmt.Errorf("%w: value ends in a lone backslash", ErrCEFSyntax)
			}
			i++
			switch s[i] {
			case 'n':
				ch = '\n'
			case 'r':
				ch = '\r'
			default:
				ch = s[i] // \\, \= and, leniently, any other escaped byte
			}
		}
		sb.WriteByte(ch)
	}
	return sb.String(), nil
}

type cefEncoder struct {
	w    io.Writer
	opts Options
	buf  []byte
}

func (enc *cefEncoder) Encode(index uint64, e *ward.Event) error {
	c := NewCEF(index, e, enc.opts)
	b, err := c.AppendText(enc.buf[:0])
	if err != nil {
		return err
	}
	enc.buf = append(b, '\n')
	_, err = enc.w.Write(enc.buf)
	return err
}

// NewCEF returns the CEF record of e, the ledger entry at index, as
// described at [FormatCEF].
func NewCEF(index uint64, e *ward.Event, opts Options) *CEF {
	idx := strconv.FormatUint(index, 10)
	c := &CEF{
		Vendor:      "ward",
		Product:     "ward",
		Version:     opts.version(),
		SignatureID: e.Action,
		Name:        strings.TrimSpace(e.Action + " " + e.Outcome.Decision),
	}
	switch levelOf(e) {
	case levelInfo:
		c.Severity = "3"
	case levelWarn:
		c.Severity = "6"
	case levelError:
		c.Severity = "7"
	default:
		c.Severity = "8"
	}
	add := func(k, v string) {
		if v != "" {
			c.Extension = append(c.Extension, CEFField{k, v})
		}
	}
	addLabelled := func(k, label, v string) {
		if v != "" {
			c.Extension = append(c.Extension, CEFField{k, v}, CEFField{k + "Label", label})
		}
	}
	add("externalId", idx)
	addLabelled("cn1", "ledgerIndex", idx)
	if !e.Time.IsZero() {
		add("rt", strconv.FormatInt(e.Time.UnixMilli(), 10))
	}
	area, _ := splitAction(e.Action)
	add("cat", area)
	add("act", e.Outcome.Decision)
	if succeeded(e) {
		add("outcome", "Success")
	} else {
		add("outcome", "Failure")
	}
	if e.Actor.WorkerID != "" {
		add("suid", e.Actor.WorkerID)
	} else {
		add("suid", e.Actor.Subject)
	}
	add("suser", e.Actor.Username)
	add("spriv", string(e.Actor.Role))
	if e.Origin.ClientAddr != "" {
		if host, isIP := clientHost(e.Origin.ClientAddr); isIP {
			add("src", host)
		} else {
			add("shost", host)
		}
	}
	if e.Target.ResourceType == "Worker" {
		add("duid", e.Target.ResourceID)
	}
	if e.Target.Query != "" {
		add("request", e.Target.Query)
	} else {
		add("request", resourceRef(e.Target))
	}
	add("reason", strings.Join(e.Outcome.Reasons, ","))
	addLabelled("cs1", "patientRef", e.Target.PatientRef)
	addLabelled("cs2", "vendorId", e.Actor.VendorID)
	addLabelled("cs3", "taskId", e.Target.TaskID)
	addLabelled("cs4", "grantId", e.Target.GrantID)
	addLabelled("cs5", "purposeOfUse", e.Purpose)
	addLabelled("cs6", "country", e.Origin.Country)
	addLabelled("flexString1", "sessionId", e.Actor.SessionID)
	addLabelled("flexString2", "deviceId", e.Actor.DeviceID)
	if e.Outcome.Count != 0 {
		addLabelled("cn2", "resultCount", strconv.Itoa(e.Outcome.Count))
	}
	if e.Outcome.Status != 0 {
		addLabelled("cn3", "httpStatus", strconv.Itoa(e.Outcome.Status))
	}
	add("dvchost", opts.observer())
	var msg []string
	if len(e.Outcome.Removed) > 0 {
		msg = append(msg, "removed="+strings.Join(e.Outcome.Removed, ","))
	}
	if len(e.Outcome.Policies) > 0 {
		msg = append(msg, "policies="+strings.Join(e.Outcome.Policies, ","))
	}
	if e.RequestID != "" {
		msg = append(msg, "request_id="+e.RequestID)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		msg = append(msg, k+"="+e.Details[k])
	}
	add("msg", strings.Join(msg, "; "))
	return c
}
