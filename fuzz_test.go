package ward_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// FuzzSchedule checks that any schedule JSON either fails validation with
// EINVALID or, once valid, answers Shift without panicking and with a shift
// that contains the instant asked about.
func FuzzSchedule(f *testing.F) {
	f.Add(`{"name":"n","time_zone":"Asia/Manila","windows":[{"day":"mon","start":"08:00","end":"17:00"}]}`, int64(1795000000))
	f.Add(`{"name":"n","time_zone":"America/New_York","windows":[{"day":"sun","start":"00:00","end":"24:00"}],"exceptions":[{"date":"2026-11-01","windows":[{"start":"01:30","end":"01:00"}]}]}`, int64(1793500000))
	f.Add(`{"name":"n","time_zone":"UTC","windows":[{"day":"fri","start":"22:00","end":"06:00"}]}`, int64(0))
	f.Fuzz(func(t *testing.T, body string, unix int64) {
		var s ward.Schedule
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			if ward.ErrorCode(err) != ward.EINVALID {
				t.Fatalf("Validate: code %q, want %q", ward.ErrorCode(err), ward.EINVALID)
			}
			return
		}
		at := time.Unix(unix%(1<<40), 0)
		start, end, ok := s.Shift(at)
		if ok && (at.Before(start) || !at.Before(end)) {
			t.Fatalf("Shift(%s)=%s–%s does not contain it", at, start, end)
		}
	})
}

// FuzzDate checks that Date's JSON form round-trips.
func FuzzDate(f *testing.F) {
	for _, s := range []string{`"2026-02-28"`, `"2024-02-29"`, `null`, `""`, `"2026-13-01"`, `20260228`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var d ward.Date
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back ward.Date
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Fatalf("round trip %s → %s → %v (%v)", in, b, back, err)
		}
	})
}
