package ward_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

func mustTime(tb testing.TB, loc, s string) time.Time {
	tb.Helper()
	l, err := time.LoadLocation(loc)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, l)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestSchedule_Shift(t *testing.T) {
	day := &ward.Schedule{Name: "Manila day", TimeZone: "Asia/Manila", Windows: []ward.ShiftWindow{
		{Day: "mon", Start: "08:00", End: "17:00"},
		{Day: "tue", Start: "08:00", End: "17:00"},
	}}
	night := &ward.Schedule{Name: "Pune night", TimeZone: "Asia/Kolkata", Windows: []ward.ShiftWindow{
		{Day: "fri", Start: "22:00", End: "06:00"},
	}}
	allDay := &ward.Schedule{Name: "US 24", TimeZone: "America/New_York", Windows: []ward.ShiftWindow{
		{Day: "sat", Start: "00:00", End: "24:00"},
		{Day: "sun", Start: "00:00", End: "24:00"},
	}}
	withHoliday := &ward.Schedule{Name: "Holiday", TimeZone: "Asia/Manila", Windows: day.Windows, Exceptions: []ward.ShiftException{
		{Date: ward.Date{Year: 2026, Month: 11, Day: 30}, Off: true, Reason: "Bonifacio Day"},
		{Date: ward.Date{Year: 2026, Month: 12, Day: 1}, Windows: []ward.ShiftWindow{{Start: "12:00", End: "14:00"}}},
	}}
	for _, test := range []struct {
		name      string
		s         *ward.Schedule
		at        time.Time
		on        bool
		wantStart time.Time
		wantEnd   time.Time
	}{
		{"DayInside", day, mustTime(t, "Asia/Manila", "2026-11-23 09:30"), true,
			mustTime(t, "Asia/Manila", "2026-11-23 08:00"), mustTime(t, "Asia/Manila", "2026-11-23 17:00")},
		{"DayStartInclusive", day, mustTime(t, "Asia/Manila", "2026-11-23 08:00"), true,
			mustTime(t, "Asia/Manila", "2026-11-23 08:00"), mustTime(t, "Asia/Manila", "2026-11-23 17:00")},
		{"DayEndExclusive", day, mustTime(t, "Asia/Manila", "2026-11-23 17:00"), false, time.Time{}, time.Time{}},
		{"DayOtherWeekday", day, mustTime(t, "Asia/Manila", "2026-11-25 09:30"), false, time.Time{}, time.Time{}},
		// 09:30 in Manila is 01:30 UTC: the zone, not UTC, decides.
		{"DayReadInZone", day, mustTime(t, "UTC", "2026-11-23 01:30"), true,
			mustTime(t, "Asia/Manila", "2026-11-23 08:00"), mustTime(t, "Asia/Manila", "2026-11-23 17:00")},
		{"NightBeforeMidnight", night, mustTime(t, "Asia/Kolkata", "2026-11-27 23:00"), true,
			mustTime(t, "Asia/Kolkata", "2026-11-27 22:00"), mustTime(t, "Asia/Kolkata", "2026-11-28 06:00")},
		{"NightAfterMidnight", night, mustTime(t, "Asia/Kolkata", "2026-11-28 05:59"), true,
			mustTime(t, "Asia/Kolkata", "2026-11-27 22:00"), mustTime(t, "Asia/Kolkata", "2026-11-28 06:00")},
		{"NightOver", night, mustTime(t, "Asia/Kolkata", "2026-11-28 06:00"), false, time.Time{}, time.Time{}},
		{"AllDayMidnight", allDay, mustTime(t, "America/New_York", "2026-11-29 00:00"), true,
			mustTime(t, "America/New_York", "2026-11-29 00:00"), mustTime(t, "America/New_York", "2026-11-30 00:00")},
		// The US falls back on 2026-11-01: that Sunday has 25 hours, and the
		// shift still ends at local midnight.
		{"AllDayAcrossDST", allDay, mustTime(t, "America/New_York", "2026-11-01 23:30"), true,
			mustTime(t, "America/New_York", "2026-11-01 00:00"), mustTime(t, "America/New_York", "2026-11-02 00:00")},
		{"ExceptionOff", withHoliday, mustTime(t, "Asia/Manila", "2026-11-30 09:30"), false, time.Time{}, time.Time{}},
		{"ExceptionWindowsReplace", withHoliday, mustTime(t, "Asia/Manila", "2026-12-01 09:30"), false, time.Time{}, time.Time{}},
		{"ExceptionWindow", withHoliday, mustTime(t, "Asia/Manila", "2026-12-01 13:00"), true,
			mustTime(t, "Asia/Manila", "2026-12-01 12:00"), mustTime(t, "Asia/Manila", "2026-12-01 14:00")},
	} {
		t.Run(test.name, func(t *testing.T) {
			if err := test.s.Validate(); err != nil {
				t.Fatalf("Validate()=%v", err)
			}
			start, end, ok := test.s.Shift(test.at)
			if ok != test.on {
				t.Fatalf("Shift(%s) ok=%v, want %v", test.at, ok, test.on)
			}
			if got, want := test.s.OnShift(test.at), test.on; got != want {
				t.Fatalf("OnShift=%v, want %v", got, want)
			}
			if !start.Equal(test.wantStart) || !end.Equal(test.wantEnd) {
				t.Fatalf("Shift=%s–%s, want %s–%s", start, end, test.wantStart, test.wantEnd)
			}
		})
	}
}

func TestSchedule_Validate(t *testing.T) {
	valid := func() *ward.Schedule {
		return &ward.Schedule{Name: "s", TimeZone: "Asia/Manila", Windows: []ward.ShiftWindow{{Day: "mon", Start: "08:00", End: "17:00"}}}
	}
	for _, test := range []struct {
		name  string
		edit  func(*ward.Schedule)
		field string
	}{
		{"ErrNameRequired", func(s *ward.Schedule) { s.Name = " " }, "name"},
		{"ErrTimeZone", func(s *ward.Schedule) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"ErrTimeZoneLocal", func(s *ward.Schedule) { s.TimeZone = "Local" }, "time_zone"},
		{"ErrDay", func(s *ward.Schedule) { s.Windows[0].Day = "monday" }, "windows[0].day"},
		{"ErrStart", func(s *ward.Schedule) { s.Windows[0].Start = "8:00" }, "windows[0].start"},
		{"ErrStart24", func(s *ward.Schedule) { s.Windows[0].Start = "24:00" }, "windows[0].start"},
		{"ErrEnd", func(s *ward.Schedule) { s.Windows[0].End = "24:01" }, "windows[0].end"},
		{"ErrExceptionDate", func(s *ward.Schedule) { s.Exceptions = []ward.ShiftException{{Off: true}} }, "exceptions[0].date"},
		{"ErrExceptionOffWithWindows", func(s *ward.Schedule) {
			s.Exceptions = []ward.ShiftException{{Date: ward.Date{Year: 2026, Month: 1, Day: 1}, Off: true, Windows: s.Windows}}
		}, "exceptions[0].windows"},
		{"ErrExceptionDuplicate", func(s *ward.Schedule) {
			d := ward.Date{Year: 2026, Month: 1, Day: 1}
			s.Exceptions = []ward.ShiftException{{Date: d, Off: true}, {Date: d, Off: true}}
		}, "exceptions[1].date"},
	} {
		t.Run(test.name, func(t *testing.T) {
			s := valid()
			test.edit(s)
			err := s.Validate()
			if got, want := ward.ErrorCode(err), ward.EINVALID; got != want {
				t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, want, err)
			}
			if got, want := ward.ErrorField(err), test.field; got != want {
				t.Fatalf("ErrorField=%q, want %q", got, want)
			}
		})
	}
}
