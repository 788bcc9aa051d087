package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var scheduleTests = []test{
	{"Schedule/Create/OK", testScheduleCreate},
	{"Schedule/Create/NilSlicesEmpty", testScheduleCreateNilSlices},
	{"Schedule/Create/ErrInvalid", testScheduleCreateInvalid},
	{"Schedule/Create/ErrNameTaken", testScheduleCreateNameTaken},
	{"Schedule/Find/Filter", testScheduleFilter},
	{"Schedule/Update/OK", testScheduleUpdate},
	{"Schedule/Update/ErrInvalid", testScheduleUpdateInvalid},
	{"Schedule/Update/ErrNameTaken", testScheduleUpdateNameTaken},
	{"Schedule/Update/ErrNotFound", testScheduleUpdateNotFound},
}

func testScheduleCreate(t *testing.T, e *env) {
	s := &ward.Schedule{
		Name:     "Manila nights",
		TimeZone: "Asia/Manila",
		Windows: []ward.ShiftWindow{
			{Day: "sun", Start: "22:00", End: "06:00"},
			{Day: "mon", Start: "00:00", End: "24:00"},
			{Day: "mon", Start: "08:30", End: "12:00"},
		},
		Exceptions: []ward.ShiftException{
			{Date: ward.Date{Year: 2025, Month: time.December, Day: 25}, Off: true, Reason: "Christmas"},
			{Date: ward.Date{Year: 2026, Month: time.January, Day: 1}, Windows: []ward.ShiftWindow{{Start: "10:00", End: "14:00"}, {Start: "20:00", End: "02:00"}}},
		},
	}
	want := *s
	ok(t, e.Schedules.CreateSchedule(e.ctx, s))
	wantID(t, s.ID, ward.PrefixSchedule)
	want.ID, want.CreatedAt, want.UpdatedAt = s.ID, us(t0), us(t0)
	diff(t, "CreateSchedule argument", s, &want)

	got, err := e.Schedules.FindScheduleByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindScheduleByID", got, &want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
}

func testScheduleCreateNilSlices(t *testing.T, e *env) {
	s := e.schedule(func(s *ward.Schedule) { s.Windows, s.Exceptions = nil, nil })
	got, err := e.Schedules.FindScheduleByID(e.ctx, s.ID)
	ok(t, err)
	if got.Windows == nil || len(got.Windows) != 0 || got.Exceptions == nil || len(got.Exceptions) != 0 {
		t.Fatalf("Windows=%#v Exceptions=%#v, want empty non-nil", got.Windows, got.Exceptions)
	}
	diff(t, "FindScheduleByID", got, s)
}

func testScheduleCreateInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Schedule)
		field string
	}{
		{"ErrNameRequired", func(s *ward.Schedule) { s.Name = "" }, "name"},
		{"ErrNameTooLong", func(s *ward.Schedule) { s.Name = strings.Repeat("x", 201) }, "name"},
		{"ErrTimeZone", func(s *ward.Schedule) { s.TimeZone = "PST" }, "time_zone"},
		{"ErrWindowDay", func(s *ward.Schedule) { s.Windows = []ward.ShiftWindow{{Day: "monday", Start: "08:00", End: "16:00"}} }, "windows[0].day"},
		{"ErrExceptionWindows", func(s *ward.Schedule) {
			s.Exceptions = []ward.ShiftException{{Date: ward.Date{Year: 2025, Month: 1, Day: 1}}}
		}, "exceptions[0].windows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &ward.Schedule{Name: e.uniq("Schedule"), TimeZone: "UTC"}
			tt.mod(s)
			wantField(t, e.Schedules.CreateSchedule(e.ctx, s), tt.field)
		})
	}
	_, n, err := e.Schedules.FindSchedules(e.ctx, ward.ScheduleFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testScheduleCreateNameTaken(t *testing.T, e *env) {
	s := e.schedule()
	wantConflict(t, e.Schedules.CreateSchedule(e.ctx, &ward.Schedule{Name: s.Name, TimeZone: "UTC"}), "name")
}

func testScheduleFilter(t *testing.T, e *env) {
	a, b := e.schedule(), e.schedule()
	for _, tt := range []struct {
		name   string
		filter ward.ScheduleFilter
		want   []string
	}{
		{"All", ward.ScheduleFilter{}, sorted(a.ID, b.ID)},
		{"ID", ward.ScheduleFilter{ID: &b.ID}, []string{b.ID}},
		{"Name", ward.ScheduleFilter{Name: &a.Name}, []string{a.ID}},
		{"NameNoMatch", ward.ScheduleFilter{Name: ptr("nope")}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Schedules.FindSchedules(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Schedule) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	ss, _, err := e.Schedules.FindSchedules(e.ctx, ward.ScheduleFilter{ID: &a.ID})
	ok(t, err)
	diff(t, "FindSchedules", ss[0], a)
}

func testScheduleUpdate(t *testing.T, e *env) {
	s := e.schedule()
	t1 := e.tick(time.Hour)
	windows := []ward.ShiftWindow{{Day: "fri", Start: "09:00", End: "17:00"}}
	exceptions := []ward.ShiftException{{Date: ward.Date{Year: 2026, Month: 4, Day: 3}, Off: true}}
	got, err := e.Schedules.UpdateSchedule(e.ctx, s.ID, ward.ScheduleUpdate{
		Name: ptr("Days"), TimeZone: ptr("America/New_York"), Windows: &windows, Exceptions: &exceptions,
	})
	ok(t, err)
	want := &ward.Schedule{
		ID: s.ID, Name: "Days", TimeZone: "America/New_York", Windows: windows, Exceptions: exceptions,
		CreatedAt: us(t0), UpdatedAt: t1,
	}
	diff(t, "UpdateSchedule", got, want)
	found, err := e.Schedules.FindScheduleByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindScheduleByID", found, want)

	t.Run("NilUnchanged", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Schedules.UpdateSchedule(e.ctx, s.ID, ward.ScheduleUpdate{Exceptions: ptr([]ward.ShiftException(nil))})
		ok(t, err)
		want := *want
		want.Exceptions, want.UpdatedAt = []ward.ShiftException{}, t2
		diff(t, "UpdateSchedule", got, &want)
	})
}

func testScheduleUpdateInvalid(t *testing.T, e *env) {
	s := e.schedule()
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.ScheduleUpdate
		field string
	}{
		{"ErrTimeZone", ward.ScheduleUpdate{Name: ptr("X"), TimeZone: ptr("")}, "time_zone"},
		{"ErrWindowStart", ward.ScheduleUpdate{Windows: &[]ward.ShiftWindow{{Day: "mon", Start: "24:00", End: "08:00"}}}, "windows[0].start"},
		{"ErrExceptionDate", ward.ScheduleUpdate{Exceptions: &[]ward.ShiftException{{Off: true}}}, "exceptions[0].date"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Schedules.UpdateSchedule(e.ctx, s.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Schedules.FindScheduleByID(e.ctx, s.ID)
			ok(t, err)
			diff(t, "FindScheduleByID", got, s)
		})
	}
}

func testScheduleUpdateNameTaken(t *testing.T, e *env) {
	a, b := e.schedule(), e.schedule()
	e.tick(time.Minute)
	_, err := e.Schedules.UpdateSchedule(e.ctx, b.ID, ward.ScheduleUpdate{Name: &a.Name})
	wantConflict(t, err, "name")
	got, err := e.Schedules.FindScheduleByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindScheduleByID", got, b)
}

func testScheduleUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Schedules.UpdateSchedule(e.ctx, ward.NewID(ward.PrefixSchedule, t0), ward.ScheduleUpdate{Name: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}
