package ward

import (
	"context"
	"fmt"
	"time"
)

// weekdays are the day names a ShiftWindow uses, indexed by time.Weekday.
var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ShiftWindow is a weekly working window: on Day, from Start to End in the
// schedule's time zone. An End at or before Start runs past midnight into
// the next day, so "22:00"–"06:00" is a night shift. Times are "HH:MM";
// End may be "24:00".
type ShiftWindow struct {
	Day   string `json:"day"` // mon, tue, wed, thu, fri, sat, sun
	Start string `json:"start"`
	End   string `json:"end"`
}

// ShiftException replaces the weekly windows that start on one date: Off
// means no work that day; otherwise Windows (with Day ignored) apply.
type ShiftException struct {
	Date    Date          `json:"date"`
	Off     bool          `json:"off"`
	Windows []ShiftWindow `json:"windows,omitempty"`
	Reason  string        `json:"reason,omitempty"`
}

// Schedule is a shift pattern that workers follow. Access is possible only
// inside one of its shifts.
type Schedule struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"` // unique
	TimeZone   string           `json:"time_zone"`
	Windows    []ShiftWindow    `json:"windows"`
	Exceptions []ShiftException `json:"exceptions"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// parseClock parses "HH:MM" (00:00–24:00) into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := 0, 0
	for _, c := range s[:2] {
		if c < '0' || c > '9' {
			return 0, false
		}
		h = h*10 + int(c-'0')
	}
	for _, c := range s[3:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		m = m*10 + int(c-'0')
	}
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func validateWindow(field string, w ShiftWindow, needDay bool) error {
	if needDay && dayIndex(w.Day) < 0 {
		return FieldErrorf(field+".day", "%q is not one of mon, tue, wed, thu, fri, sat, sun.", w.Day)
	}
	start, ok := parseClock(w.Start)
	if !ok || start == 24*60 {
		return FieldErrorf(field+".start", "%q is not a time HH:MM between 00:00 and 23:59.", w.Start)
	}
	if _, ok := parseClock(w.End); !ok {
		return FieldErrorf(field+".end", "%q is not a time HH:MM between 00:00 and 24:00.", w.End)
	}
	return nil
}

func dayIndex(day string) int {
	for i, d := range weekdays {
		if d == day {
			return i
		}
	}
	return -1
}

// Validate returns an EINVALID error naming the first invalid field.
func (s *Schedule) Validate() error {
	if err := validateName("name", s.Name, 200); err != nil {
		return err
	}
	if err := validateTimeZone("time_zone", s.TimeZone); err != nil {
		return err
	}
	for i, w := range s.Windows {
		if err := validateWindow(fmt.Sprintf("windows[%d]", i), w, true); err != nil {
			return err
		}
	}
	seen := make(map[Date]bool)
	for i, e := range s.Exceptions {
		f := fmt.Sprintf("exceptions[%d]", i)
		if e.Date.IsZero() {
			return FieldErrorf(f+".date", "date is required.")
		}
		if seen[e.Date] {
			return FieldErrorf(f+".date", "%s has two exceptions.", e.Date)
		}
		seen[e.Date] = true
		if e.Off && len(e.Windows) > 0 {
			return FieldErrorf(f+".windows", "An exception that is off has no windows.")
		}
		if !e.Off && len(e.Windows) == 0 {
			return FieldErrorf(f+".windows", "An exception needs windows unless it is off.")
		}
		for j, w := range e.Windows {
			if err := validateWindow(fmt.Sprintf("%s.windows[%d]", f, j), w, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Shift returns the shift that contains t: its start and end, and true. It
// returns false when t is outside every shift or the schedule is invalid.
// When windows overlap, the one that ends last is returned.
func (s *Schedule) Shift(t time.Time) (start, end time.Time, ok bool) {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	local := t.In(loc)
	today := DateOf(local)
	// A shift containing t started today or, for a night shift, yesterday.
	for _, d := range []Date{today.AddDays(-1), today} {
		for _, w := range s.windowsOn(d) {
			ws, _ := parseClock(w.Start)
			we, _ := parseClock(w.End)
			if we <= ws {
				we += 24 * 60
			}
			st := time.Date(d.Year, d.Month, d.Day, ws/60, ws%60, 0, 0, loc)
			// Wall-clock arithmetic, so that a window keeps its wall times
			// across a DST change.
			ed := d.AddDays(we / (24 * 60))
			en := time.Date(ed.Year, ed.Month, ed.Day, we%(24*60)/60, we%60, 0, 0, loc)
			if !t.Before(st) && t.Before(en) && (!ok || en.After(end)) {
				start, end, ok = st, en, true
			}
		}
	}
	return start, end, ok
}

// OnShift reports whether t falls inside one of the schedule's shifts.
func (s *Schedule) OnShift(t time.Time) bool {
	_, _, ok := s.Shift(t)
	return ok
}

// windowsOn returns the windows that start on local date d.
func (s *Schedule) windowsOn(d Date) []ShiftWindow {
	for _, e := range s.Exceptions {
		if e.Date == d {
			return e.Windows // nil when Off
		}
	}
	day := weekdays[d.In(time.UTC).Weekday()]
	var ws []ShiftWindow
	for _, w := range s.Windows {
		if w.Day == day {
			ws = append(ws, w)
		}
	}
	return ws
}

// ScheduleFilter selects schedules. Zero fields match all.
type ScheduleFilter struct {
	ID   *string
	Name *string
	Page
}

// ScheduleUpdate changes a schedule; nil fields are left as they are.
type ScheduleUpdate struct {
	Name       *string           `json:"name"`
	TimeZone   *string           `json:"time_zone"`
	Windows    *[]ShiftWindow    `json:"windows"`
	Exceptions *[]ShiftException `json:"exceptions"`
}

// Apply applies upd to s; the caller validates s afterwards.
func (upd ScheduleUpdate) Apply(s *Schedule) {
	set(&s.Name, upd.Name)
	set(&s.TimeZone, upd.TimeZone)
	set(&s.Windows, upd.Windows)
	set(&s.Exceptions, upd.Exceptions)
}

// ScheduleService stores shift schedules.
type ScheduleService interface {
	// FindScheduleByID returns ENOTFOUND if the schedule does not exist.
	FindScheduleByID(ctx context.Context, id string) (*Schedule, error)
	// FindSchedules returns matching schedules ordered by ID and the total count.
	FindSchedules(ctx context.Context, filter ScheduleFilter) ([]*Schedule, int, error)
	// CreateSchedule returns EINVALID or ECONFLICT on a duplicate name.
	CreateSchedule(ctx context.Context, s *Schedule) error
	// UpdateSchedule returns ENOTFOUND, EINVALID or ECONFLICT.
	UpdateSchedule(ctx context.Context, id string, upd ScheduleUpdate) (*Schedule, error)
}
