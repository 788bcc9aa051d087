package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is
// answered with 413.
const MaxBodyBytes = 1 << 20

// decode reads r's JSON body into v, a pointer to a struct. It accepts
// exactly one JSON object of at most MaxBodyBytes with Content-Type
// application/json (PATCH also takes application/merge-patch+json), and
// rejects unknown fields. Errors are *ward.Error values that name the field
// at fault as a JSON path, e.g. "windows[0].start".
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	} else if err != nil {
		return ward.Errorf(ward.EINVALID, "The request body could not be read.")
	}
	return decodeJSON(body, v)
}

var errTooLarge = ward.Errorf(codeTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ward.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json.")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ward.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json.")
	}
	switch {
	case mt == "application/json":
	case mt == "application/merge-patch+json" && r.Method == http.MethodPatch:
	default:
		return ward.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json, not %s.", mt)
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return ward.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json with no parameter but charset=utf-8.")
		}
	}
	return nil
}

// decodeJSON decodes body, one JSON object, into v.
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return ward.Errorf(ward.EINVALID, "The request body is empty; send a JSON object.")
	}
	if trimmed[0] != '{' {
		return ward.Errorf(ward.EINVALID, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One value only: anything but white space after it is an error.
		if _, err := dec.Token(); err != io.EOF {
			return ward.Errorf(ward.EINVALID, "The request body holds data after the JSON object, at byte offset %d.", dec.InputOffset())
		}
		return nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the bad one included; report
		// the bad byte's zero-based position.
		return ward.Errorf(ward.EINVALID, "The request body is not valid JSON: %s at byte offset %d.", se.Error(), max(se.Offset-1, 0))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ward.Errorf(ward.EINVALID, "The request body is not valid JSON: it ends early, at byte offset %d.", len(body))
	}
	// A type mismatch, an unknown field or a value a field type rejects
	// (a date, a time). Find the field by decoding piece by piece.
	if field, msg, ok := locate(body, reflect.TypeOf(v).Elem(), ""); ok {
		return ward.FieldErrorf(field, "%s", msg)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return ward.FieldErrorf(ute.Field, "%s has the wrong type.", ute.Field)
	}
	return ward.Errorf(ward.EINVALID, "The request body does not match the expected object.")
}

// locate finds the first field of raw (a JSON value to be decoded into a
// value of type t) that fails to decode, and returns its JSON path under
// path and a message. It only runs after a failed decode, so its cost
// (each level decoded again) does not matter.
func locate(raw []byte, t reflect.Type, path string) (field, msg string, ok bool) {
	if decodeStrict(raw, t) == nil {
		return "", "", false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return leaf(path, t)
	}
	switch t.Kind() {
	case reflect.Struct:
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return leaf(path, t)
		}
		fields := jsonFields(t)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return leaf(path, t)
			}
			key, _ := tok.(string)
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				return leaf(path, t)
			}
			p := joinPath(path, truncate(key, 64))
			ft, known := fieldType(fields, key)
			if !known {
				return p, fmt.Sprintf("Unknown field %s.", strconv.Quote(truncate(key, 64))), true
			}
			if f, m, ok := locate(val, ft, p); ok {
				return f, m, true
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return leaf(path, t)
		}
		for i, item := range items {
			if f, m, ok := locate(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); ok {
				return f, m, true
			}
		}
	case reflect.Map:
		var items map[string]json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return leaf(path, t)
		}
		for k, item := range items {
			if f, m, ok := locate(item, t.Elem(), joinPath(path, truncate(k, 64))); ok {
				return f, m, true
			}
		}
	}
	return leaf(path, t)
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
	dateType        = reflect.TypeFor[ward.Date]()
	nullTimeType    = reflect.TypeFor[nullTime]()
)

// decodeStrict decodes raw into a new value of type t as decode does.
func decodeStrict(raw []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(reflect.New(t).Interface())
}

// leaf describes the value a field of type t expects.
func leaf(path string, t reflect.Type) (string, string, bool) {
	name := path
	if name == "" {
		name = "The request body"
	}
	var want string
	switch {
	case t == dateType:
		want = "a date YYYY-MM-DD"
	case t == timeType || t == nullTimeType:
		want = "a time in RFC 3339 form such as 2026-01-02T15:04:05Z"
	default:
		switch t.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "true or false"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "an integer in range"
		case reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Slice, reflect.Array:
			want = "an array"
		case reflect.Struct, reflect.Map:
			want = "an object"
		default:
			want = "a valid value"
		}
	}
	return path, fmt.Sprintf("%s must be %s.", name, want), true
}

// jsonFields lists the JSON names of t's fields as encoding/json sees them,
// including promoted fields of embedded structs (the shallowest wins).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type)
	var walk func(t reflect.Type, depth int, seen map[string]int)
	walk = func(t reflect.Type, depth int, seen map[string]int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, depth+1, seen)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if d, ok := seen[name]; ok && d <= depth {
				continue
			}
			seen[name] = depth
			m[name] = f.Type
		}
	}
	walk(t, 0, make(map[string]int))
	return m
}

// fieldType finds key among fields as encoding/json does: an exact name
// first, else a case-insensitive match.
func fieldType(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// nullTime is a time.Time field of a PATCH body that tells "absent" (leave
// unchanged) from null (clear) apart. encoding/json sets a **time.Time
// to nil for null, which would lose that difference.
type nullTime struct {
	Set  bool       // the field was present
	Time *time.Time // nil for null
}

// UnmarshalJSON implements json.Unmarshaler; encoding/json calls it for
// null too because nullTime is not a pointer.
func (n *nullTime) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Time = nil
		return nil
	}
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	n.Time = &t
	return nil
}

// update returns the TaskUpdate form of n: nil when absent, a pointer to
// nil for null.
func (n nullTime) update() **time.Time {
	if !n.Set {
		return nil
	}
	t := n.Time
	return &t
}
