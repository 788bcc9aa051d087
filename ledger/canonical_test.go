package ledger_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
)

// fullEvent returns an event with every field set.
func fullEvent() *ward.Event {
	return &ward.Event{
		Time:   time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC),
		Action: "fhir.read",
		Actor: ward.EventActor{
			Subject: "wrk_42", Role: ward.RoleWorker, WorkerID: "wrk_42", Username: "maria.santos",
			VendorID: "ven_7", TeamID: "team_3", SessionID: "ses_9", DeviceID: "vdi-manila-17",
		},
		Target: ward.EventTarget{
			ResourceType: "Condition", ResourceID: "c-1", PatientRef: "Patient/p-123",
			TaskID: "task_5", GrantID: "grant_6", Query: "patient=p-123&_count=10",
		},
		Origin:    ward.EventOrigin{ClientAddr: "203.0.113.7", Country: "PH", SiteID: "site_1"},
		Purpose:   "HOPERAT",
		Outcome:   ward.EventOutcome{Decision: ward.DecisionPermit, Reasons: []string{"live_grant"}, Policies: []string{"builtin.grant", "org.shift"}, Status: 200, Count: 3, Removed: []string{"Patient.name", "Patient.telecom"}},
		RequestID: "req-1",
		Details:   map[string]string{"to": "active", "from": "pending"},
	}
}

func TestEncode(t *testing.T) {
	t.Run("Golden", func(t *testing.T) {
		got, err := ledger.Encode(fullEvent())
		if err != nil {
			t.Fatal(err)
		}
		want := `{"action":"fhir.read",` +
			`"actor":{"device_id":"vdi-manila-17","role":"worker","session_id":"ses_9","subject":"wrk_42","team_id":"team_3","username":"maria.santos","vendor_id":"ven_7","worker_id":"wrk_42"},` +
			`"details":{"from":"pending","to":"active"},` +
			`"origin":{"client_addr":"203.0.113.7","country":"PH","site_id":"site_1"},` +
			`"outcome":{"count":3,"decision":"permit","policies":["builtin.grant","org.shift"],"reasons":["live_grant"],"removed":["Patient.name","Patient.telecom"],"status":200},` +
			`"purpose":"HOPERAT","request_id":"req-1",` +
			`"target":{"grant_id":"grant_6","patient_ref":"Patient/p-123","query":"patient=p-123&_count=10","resource_id":"c-1","resource_type":"Condition","task_id":"task_5"},` +
			`"time":"2025-03-14T15:09:26.535897932Z"}`
		if string(got) != want {
			t.Fatalf("Encode=\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("Minimal", func(t *testing.T) {
		e := &ward.Event{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("PHT", 8*3600)), Action: "auth.login", Actor: ward.EventActor{Subject: "system"}, Outcome: ward.EventOutcome{Decision: "success"}}
		got, err := ledger.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"action":"auth.login","actor":{"subject":"system"},"origin":{},"outcome":{"decision":"success"},"target":{},"time":"2025-01-01T19:04:05.000000000Z"}`
		if string(got) != want {
			t.Fatalf("Encode=%s, want %s", got, want)
		}
	})

	// RFC 8785 section 3.2.2.2: only '"', '\\' and control characters are
	// escaped; <, >, &, U+2028 and U+2029 are not (encoding/json escapes
	// them). Invalid UTF-8 becomes U+FFFD, as in encoding/json.
	t.Run("Escaping", func(t *testing.T) {
		for _, test := range []struct{ in, want string }{
			{"plain", `"plain"`},
			{`quote " backslash \ slash /`, `"quote \" backslash \\ slash /"`},
			{"\b\t\n\f\r", `"\b\t\n\f\r"`},
			{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f\""},
			{"<script>&amp;</script>", `"<script>&amp;</script>"`},
			{"\u2028\u2029", "\"\u2028\u2029\""},
			{"€ é 😀 \ufb33", "\"€ é 😀 \ufb33\""},
			{"bad \xff byte", "\"bad \ufffd byte\""},
		} {
			e := fullEvent()
			e.Purpose = test.in
			got, err := ledger.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got, []byte(`"purpose":`+test.want+`,`)) {
				t.Errorf("Encode(purpose %q)=%s, want purpose %s", test.in, got, test.want)
			}
		}
	})

	// RFC 8785 section 3.2.3 sorts these keys by UTF-16 code units:
	// "\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33".
	// U+FB33 sorts after the supplementary U+1F600, unlike in UTF-8.
	t.Run("KeyOrder", func(t *testing.T) {
		e := fullEvent()
		e.Details = map[string]string{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\U0001F600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
		got, err := ledger.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		want := `"details":{"\r":"Carriage Return","1":"One","` + "\u0080" + `":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","` + "\ufb33" + `":"Hebrew Letter Dalet With Dagesh"}`
		if !bytes.Contains(got, []byte(want)) {
			t.Fatalf("Encode=%s\nwant it to contain %s", got, want)
		}
	})

	t.Run("Deterministic", func(t *testing.T) {
		first, err := ledger.Encode(fullEvent())
		if err != nil {
			t.Fatal(err)
		}
		for range 50 { // map iteration order varies from run to run
			e := fullEvent()
			e.Details = map[string]string{}
			for i := range 20 {
				e.Details[fmt.Sprintf("k%02d", i)] = strconv.Itoa(i)
			}
			a, _ := ledger.Encode(e)
			b, _ := ledger.Encode(e)
			if !bytes.Equal(a, b) {
				t.Fatalf("Encode differs between calls:\n%s\n%s", a, b)
			}
		}
		if again, _ := ledger.Encode(fullEvent()); !bytes.Equal(first, again) {
			t.Fatal("Encode differs between equal events")
		}
	})

	t.Run("Errors", func(t *testing.T) {
		for _, test := range []struct {
			name string
			edit func(e *ward.Event)
		}{
			{"ErrNil", nil},
			{"ErrYear", func(e *ward.Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
			{"ErrNegativeYear", func(e *ward.Event) { e.Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
			{"ErrBigInt", func(e *ward.Event) { e.Outcome.Count = 1 << 53 }},
			{"ErrBadKey", func(e *ward.Event) { e.Details = map[string]string{"\xff": "x"} }},
		} {
			t.Run(test.name, func(t *testing.T) {
				var e *ward.Event
				if test.edit != nil {
					e = fullEvent()
					test.edit(e)
				}
				if b, err := ledger.Encode(e); err == nil {
					t.Fatalf("Encode=%s, want error", b)
				}
			})
		}
	})
}

func TestDecode(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := range 2000 {
			e := randomEvent(rnd, i)
			data, err := ledger.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ledger.Decode(data)
			if err != nil {
				t.Fatalf("Decode(%s): %v", data, err)
			}
			if diff := cmp.Diff(e, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Decode(Encode(e)) differs (-want +got):\n%s", diff)
			}
		}
	})

	valid, err := ledger.Encode(fullEvent())
	if err != nil {
		t.Fatal(err)
	}
	v := string(valid)
	for _, test := range []struct {
		name string
		data string
	}{
		{"ErrEmpty", ""},
		{"ErrNotObject", "[]"},
		{"ErrTrailing", v + " "},
		{"ErrTrailingObject", v + "{}"},
		{"ErrWhitespace", strings.Replace(v, `"action":`, `"action": `, 1)},
		{"ErrKeyOrder", `{"actor":{"subject":"s"},"action":"a","origin":{},"outcome":{"decision":"permit"},"target":{},"time":"2025-01-01T00:00:00.000000000Z"}`},
		{"ErrDuplicateKey", strings.Replace(v, `"action":"fhir.read"`, `"action":"fhir.read","action":"fhir.read"`, 1)},
		{"ErrUnknownField", strings.Replace(v, `"action":"fhir.read"`, `"action":"fhir.read","admin":true`, 1)},
		{"ErrUnknownNested", strings.Replace(v, `"country":"PH"`, `"country":"PH","planet":"Earth"`, 1)},
		{"ErrEmptyOptional", strings.Replace(v, `"purpose":"HOPERAT"`, `"purpose":""`, 1)},
		{"ErrZeroInt", strings.Replace(v, `"count":3`, `"count":0`, 1)},
		{"ErrLeadingZero", strings.Replace(v, `"count":3`, `"count":03`, 1)},
		{"ErrFloat", strings.Replace(v, `"count":3`, `"count":3.0`, 1)},
		{"ErrExponent", strings.Replace(v, `"count":3`, `"count":3e0`, 1)},
		{"ErrIntTooBig", strings.Replace(v, `"count":3`, `"count":9007199254740992`, 1)},
		{"ErrNull", strings.Replace(v, `"reasons":["live_grant"]`, `"reasons":null`, 1)},
		{"ErrEmptyList", strings.Replace(v, `"reasons":["live_grant"]`, `"reasons":[]`, 1)},
		{"ErrEmptyMap", strings.Replace(v, `"details":{"from":"pending","to":"active"}`, `"details":{}`, 1)},
		{"ErrDetailsOrder", strings.Replace(v, `"details":{"from":"pending","to":"active"}`, `"details":{"to":"active","from":"pending"}`, 1)},
		{"ErrNeedlessEscape", strings.Replace(v, `"fhir.read"`, `"fhir\u002eread"`, 1)},
		{"ErrEscapedSlash", strings.Replace(v, `"Patient/p-123"`, `"Patient\/p-123"`, 1)},
		{"ErrUpperHexEscape", strings.Replace(v, `"HOPERAT"`, `"HOP\u001FERAT"`, 1)},
		{"ErrRawControl", strings.Replace(v, `"HOPERAT"`, "\"HOP\x01ERAT\"", 1)},
		{"ErrInvalidUTF8", strings.Replace(v, `"HOPERAT"`, "\"HOP\xffERAT\"", 1)},
		{"ErrLoneSurrogate", strings.Replace(v, `"HOPERAT"`, `"HOP\ud800ERAT"`, 1)},
		{"ErrTimeShort", strings.Replace(v, `"2025-03-14T15:09:26.535897932Z"`, `"2025-03-14T15:09:26.5358979Z"`, 1)},
		{"ErrTimeOffset", strings.Replace(v, `"2025-03-14T15:09:26.535897932Z"`, `"2025-03-14T15:09:26.535897932+00:00"`, 1)},
		{"ErrTimeInvalidDay", strings.Replace(v, `"2025-03-14T15:09:26.535897932Z"`, `"2025-02-30T15:09:26.535897932Z"`, 1)},
		{"ErrTimeLeapSecond", strings.Replace(v, `"2025-03-14T15:09:26.535897932Z"`, `"2025-03-14T23:59:60.000000000Z"`, 1)},
		{"ErrMissingTime", strings.Replace(v, `,"time":"2025-03-14T15:09:26.535897932Z"`, ``, 1)},
		{"ErrMissingTarget", strings.Replace(v, `"target":{"grant_id":"grant_6","patient_ref":"Patient/p-123","query":"patient=p-123&_count=10","resource_id":"c-1","resource_type":"Condition","task_id":"task_5"},`, ``, 1)},
		{"ErrTruncated", v[:len(v)/2]},
	} {
		t.Run(test.name, func(t *testing.T) {
			if test.data == v {
				t.Fatal("test data unchanged")
			}
			e, err := ledger.Decode([]byte(test.data))
			if err == nil {
				t.Fatalf("Decode(%s)=%+v, want error", test.data, e)
			}
			if !errors.Is(err, ledger.ErrNotCanonical) {
				t.Fatalf("Decode: %v, want ErrNotCanonical", err)
			}
		})
	}
}

// TestEncodeCoversEveryField fills every field of ward.Event by reflection
// and checks Encode against an independent RFC 8785 canonicalisation of
// encoding/json's output. A field added to ward.Event but not to Encode
// fails here.
func TestEncodeCoversEveryField(t *testing.T) {
	var e ward.Event
	n := 0
	fill(t, reflect.ValueOf(&e).Elem(), &n)
	checkAgainstJSON(t, &e)
	got, err := ledger.Decode(mustEncode(t, &e))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&e, got); diff != "" {
		t.Fatalf("Decode(Encode(e)) differs (-want +got):\n%s", diff)
	}

	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		checkAgainstJSON(t, randomEvent(rnd, i))
	}
}

// fill sets every field under v to a distinct non-zero value.
func fill(t *testing.T, v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2024, 2, 29, 23, 59, 59, *n, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("value %d <&> \"é\"", *n))
	case reflect.Int:
		v.SetInt(int64(*n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, s.Index(0), n)
		fill(t, s.Index(1), n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k, val := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, n)
			fill(t, val, n)
			m.SetMapIndex(k, val)
		}
		v.Set(m)
	default:
		t.Fatalf("ward.Event has a field of kind %v, which the canonical encoding does not handle; extend Encode, Decode and this test", v.Kind())
	}
}

func mustEncode(t testing.TB, e *ward.Event) []byte {
	t.Helper()
	b, err := ledger.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAgainstJSON compares Encode(e) with jcs(json.Marshal(e)).
func checkAgainstJSON(t *testing.T, e *ward.Event) {
	t.Helper()
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	v["time"] = e.Time.UTC().Format(ledger.TimeLayout) // the one deliberate difference
	want := jcs(nil, v)
	if got := mustEncode(t, e); !bytes.Equal(got, want) {
		t.Fatalf("Encode=\n%s\nRFC 8785 of encoding/json:\n%s", got, want)
	}
}

// jcs is a straightforward RFC 8785 serialiser for the values
// encoding/json decodes (integers only), written independently of
// Encode.
func jcs(b []byte, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jcs(b, k)
			b = append(b, ':')
			b = jcs(b, v[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jcs(b, x)
		}
		return append(b, ']')
	case json.Number:
		return append(b, v...)
	case string:
		b = append(b, '"')
		for _, r := range v {
			switch {
			case r == '"' || r == '\\':
				b = append(b, '\\', byte(r))
			case r == '\b':
				b = append(b, `\b`...)
			case r == '\t':
				b = append(b, `\t`...)
			case r == '\n':
				b = append(b, `\n`...)
			case r == '\f':
				b = append(b, `\f`...)
			case r == '\r':
				b = append(b, `\r`...)
			case r < 0x20:
				b = fmt.Appendf(b, `\u%04x`, r)
			default:
				b = utf8.AppendRune(b, r)
			}
		}
		return append(b, '"')
	}
	panic(fmt.Sprintf("jcs: unexpected %T", v))
}

// randomEvent returns a valid event with random optional fields and
// awkward strings.
func randomEvent(rnd *rand.Rand, i int) *ward.Event {
	str := func() string {
		if rnd.IntN(3) == 0 {
			return ""
		}
		alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\x01", "\x1f", "\x7f", "<", ">", "&", "é", "€", "\u2028", "😀", "\ufb33", "\ue000"}
		var sb strings.Builder
		for range rnd.IntN(12) {
			sb.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		return sb.String()
	}
	list := func() []string {
		var l []string
		for range rnd.IntN(3) {
			l = append(l, str())
		}
		return l
	}
	e := &ward.Event{
		Time:   time.Unix(rnd.Int64N(4e9), rnd.Int64N(1e9)).UTC(),
		Action: fmt.Sprintf("fhir.read%d", i),
		Actor: ward.EventActor{
			Subject: "s" + str(), Role: ward.Role(str()), WorkerID: str(), Username: str(),
			VendorID: str(), TeamID: str(), SessionID: str(), DeviceID: str(),
		},
		Target:    ward.EventTarget{ResourceType: str(), ResourceID: str(), PatientRef: str(), TaskID: str(), GrantID: str(), Query: str()},
		Origin:    ward.EventOrigin{ClientAddr: str(), Country: str(), SiteID: str()},
		Purpose:   str(),
		RequestID: str(),
		Outcome: ward.EventOutcome{
			Decision: []string{ward.DecisionPermit, ward.DecisionDeny, ward.DecisionError}[rnd.IntN(3)],
			Reasons:  list(), Policies: list(), Removed: list(),
			Status: rnd.IntN(3) * rnd.IntN(600), Count: rnd.IntN(2) * (rnd.IntN(2000) - 1000),
		},
	}
	if rnd.IntN(2) == 0 {
		e.Details = map[string]string{}
		for range rnd.IntN(4) {
			e.Details[str()] = str()
		}
	}
	return e
}

// FuzzCanonical checks that Decode accepts exactly the canonical
// encodings (Encode(Decode(b)) == b), and that any event built from
// arbitrary strings round-trips through Encode and Decode.
func FuzzCanonical(f *testing.F) {
	f.Add(mustEncode(f, fullEvent()))
	f.Add([]byte(`{"action":"a","actor":{"subject":"s"},"origin":{},"outcome":{"decision":"permit"},"target":{},"time":"2025-01-01T00:00:00.000000000Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, err := ledger.Decode(data); err == nil {
			again, err := ledger.Encode(e)
			if err != nil {
				t.Fatalf("Encode(Decode(%q)): %v", data, err)
			}
			if !bytes.Equal(again, data) {
				t.Fatalf("Encode(Decode(b)) != b:\n%q\n%q", again, data)
			}
		}

		// The input as every string of an event.
		s := string(data)
		e := fullEvent()
		e.Action, e.Purpose, e.Actor.Subject, e.Target.Query = s, s, s, s
		e.Outcome.Reasons = []string{s, s}
		e.Details = map[string]string{"k": s}
		if utf8.ValidString(s) {
			e.Details[s] = s
		}
		enc, err := ledger.Encode(e)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		got, err := ledger.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(e)): %v\n%q", err, enc)
		}
		if utf8.ValidString(s) {
			if diff := cmp.Diff(e, got); diff != "" {
				t.Fatalf("Decode(Encode(e)) differs (-want +got):\n%s", diff)
			}
		} else if again := mustEncode(t, got); !bytes.Equal(again, enc) {
			t.Fatalf("Encode is not idempotent on invalid UTF-8:\n%q\n%q", enc, again)
		}
	})
}
