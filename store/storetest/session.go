package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var sessionTests = []test{
	{"Session/Create/OK", testSessionCreate},
	{"Session/Create/ErrInvalid", testSessionCreateInvalid},
	{"Session/Create/ErrTokenHashTaken", testSessionCreateTokenTaken},
	{"Session/FindByTokenHash/OK", testSessionFindByTokenHash},
	{"Session/FindByTokenHash/ErrNotFound", testSessionFindByTokenHashNotFound},
	{"Session/Find/Filter", testSessionFilter},
	{"Session/Find/LiveAt", testSessionLiveAt},
	{"Session/Touch/OK", testSessionTouch},
	{"Session/Touch/ErrNotFound", testSessionTouchNotFound},
	{"Session/Revoke/OK", testSessionRevoke},
	{"Session/Revoke/Idempotent", testSessionRevokeIdempotent},
	{"Session/Revoke/ErrNotFound", testSessionRevokeNotFound},
	{"Session/RevokeWorker/CountsLiveOnly", testSessionRevokeWorker},
}

func testSessionCreate(t *testing.T, e *env) {
	_, site, tm := e.org()
	w := e.worker(tm)
	h := sha256.Sum256([]byte("bearer-token"))
	exp := time.Date(2025, time.March, 4, 13, 6, 7, 999999999, time.FixedZone("PHT", 8*3600))
	s := &ward.Session{
		WorkerID:   w.ID,
		TokenHash:  h[:],
		DeviceID:   "device-42",
		ClientAddr: "203.0.113.9",
		Country:    "PH",
		SiteID:     site.ID,
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64)",
		ExpiresAt:  exp,
	}
	ok(t, e.Sessions.CreateSession(e.ctx, s))
	wantID(t, s.ID, ward.PrefixSession)
	want := &ward.Session{
		ID: s.ID, WorkerID: w.ID, TokenHash: h[:], DeviceID: "device-42", ClientAddr: "203.0.113.9",
		Country: "PH", SiteID: site.ID, UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
		CreatedAt: us(t0), LastSeenAt: us(t0), ExpiresAt: us(exp),
	}
	diff(t, "CreateSession argument", s, want)

	got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSessionByID", got, want)
	wantTime(t, "ExpiresAt", got.ExpiresAt, us(exp))
	wantTime(t, "LastSeenAt", got.LastSeenAt, us(t0))

	t.Run("Minimal", func(t *testing.T) {
		s := e.session(w, func(s *ward.Session) { s.DeviceID, s.Country, s.UserAgent, s.ClientAddr = "", "", "", "" })
		got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
		ok(t, err)
		diff(t, "FindSessionByID", got, s)
	})
}

func testSessionCreateInvalid(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	h := sha256.Sum256([]byte("t"))
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Session)
		field string
	}{
		{"ErrWorkerRequired", func(s *ward.Session) { s.WorkerID = "" }, "worker_id"},
		{"ErrWorkerUnknown", func(s *ward.Session) { s.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrTokenHash", func(s *ward.Session) { s.TokenHash = []byte("short") }, "token_hash"},
		{"ErrExpiresAt", func(s *ward.Session) { s.ExpiresAt = time.Time{} }, "expires_at"},
		{"ErrCountry", func(s *ward.Session) { s.Country = "ph" }, "country"},
		{"ErrSiteUnknown", func(s *ward.Session) { s.SiteID = ward.NewID(ward.PrefixSite, t0) }, "site_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &ward.Session{WorkerID: w.ID, TokenHash: h[:], ClientAddr: "192.0.2.1", ExpiresAt: us(t0).Add(time.Hour)}
			tt.mod(s)
			wantField(t, e.Sessions.CreateSession(e.ctx, s), tt.field)
		})
	}
	_, n, err := e.Sessions.FindSessions(e.ctx, ward.SessionFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testSessionCreateTokenTaken(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	s := e.session(w1)
	err := e.Sessions.CreateSession(e.ctx, &ward.Session{WorkerID: w2.ID, TokenHash: bytes.Clone(s.TokenHash), ExpiresAt: us(t0).Add(time.Hour)})
	wantConflict(t, err, "token_hash")
}

func testSessionFindByTokenHash(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	a, b := e.session(w), e.session(w)
	got, err := e.Sessions.FindSessionByTokenHash(e.ctx, bytes.Clone(b.TokenHash))
	ok(t, err)
	diff(t, "FindSessionByTokenHash", got, b)
	got, err = e.Sessions.FindSessionByTokenHash(e.ctx, a.TokenHash)
	ok(t, err)
	diff(t, "FindSessionByTokenHash", got, a)
}

func testSessionFindByTokenHashNotFound(t *testing.T, e *env) {
	_, _, tm := e.org()
	s := e.session(e.worker(tm))
	other := sha256.Sum256([]byte("unknown"))
	for _, h := range [][]byte{other[:], nil, s.TokenHash[:31]} {
		_, err := e.Sessions.FindSessionByTokenHash(e.ctx, h)
		wantCode(t, err, ward.ENOTFOUND)
	}
}

func testSessionFilter(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	a, b, c := e.session(w1), e.session(w1), e.session(w2)
	for _, tt := range []struct {
		name   string
		filter ward.SessionFilter
		want   []string
	}{
		{"All", ward.SessionFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.SessionFilter{ID: &b.ID}, []string{b.ID}},
		{"WorkerID", ward.SessionFilter{WorkerID: &w1.ID}, sorted(a.ID, b.ID)},
		{"Combined", ward.SessionFilter{WorkerID: &w2.ID, ID: &a.ID}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Sessions.FindSessions(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Session) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	ss, _, err := e.Sessions.FindSessions(e.ctx, ward.SessionFilter{ID: &c.ID})
	ok(t, err)
	diff(t, "FindSessions", ss[0], c)
}

// testSessionLiveAt checks that LiveAt matches Session.Live: before
// ExpiresAt and not revoked.
func testSessionLiveAt(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	base := us(t0)
	short := e.session(w, func(s *ward.Session) { s.ExpiresAt = base.Add(time.Hour) })
	long := e.session(w, func(s *ward.Session) { s.ExpiresAt = base.Add(8 * time.Hour) })
	revoked := e.session(w, func(s *ward.Session) { s.ExpiresAt = base.Add(8 * time.Hour) })
	_, err := e.Sessions.RevokeSession(e.ctx, revoked.ID, "logout")
	ok(t, err)
	for _, tt := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"Now", base, sorted(short.ID, long.ID)},
		{"JustBeforeExpiry", base.Add(time.Hour - time.Microsecond), sorted(short.ID, long.ID)},
		{"AtExpiry", base.Add(time.Hour), []string{long.ID}},
		{"AfterAll", base.Add(8 * time.Hour), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Sessions.FindSessions(e.ctx, ward.SessionFilter{LiveAt: &tt.at})
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Session) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	t.Run("WithWorkerID", func(t *testing.T) {
		other := e.worker(tm)
		e.session(other)
		at := base.Add(2 * time.Hour)
		ss, n, err := e.Sessions.FindSessions(e.ctx, ward.SessionFilter{WorkerID: &w.ID, LiveAt: &at})
		ok(t, err)
		wantIDs(t, ids(ss, func(s *ward.Session) string { return s.ID }), long.ID)
		if n != 1 {
			t.Fatalf("total=%d, want 1", n)
		}
	})
}

func testSessionTouch(t *testing.T, e *env) {
	_, _, tm := e.org()
	s := e.session(e.worker(tm))
	seen := time.Date(2025, time.March, 4, 6, 0, 0, 555555555, time.FixedZone("PHT", 8*3600))
	ok(t, e.Sessions.TouchSession(e.ctx, s.ID, seen))
	got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
	ok(t, err)
	want := *s
	want.LastSeenAt = us(seen)
	diff(t, "FindSessionByID", got, &want)
	wantTime(t, "LastSeenAt", got.LastSeenAt, us(seen))
}

func testSessionTouchNotFound(t *testing.T, e *env) {
	wantCode(t, e.Sessions.TouchSession(e.ctx, ward.NewID(ward.PrefixSession, t0), t0), ward.ENOTFOUND)
}

func testSessionRevoke(t *testing.T, e *env) {
	_, _, tm := e.org()
	s := e.session(e.worker(tm))
	t1 := e.tick(time.Minute)
	got, err := e.Sessions.RevokeSession(e.ctx, s.ID, "logout")
	ok(t, err)
	want := *s
	want.RevokedAt, want.RevokeReason = &t1, "logout"
	diff(t, "RevokeSession", got, &want)
	wantTime(t, "RevokedAt", *got.RevokedAt, t1)
	found, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSessionByID", found, &want)
}

func testSessionRevokeIdempotent(t *testing.T, e *env) {
	_, _, tm := e.org()
	s := e.session(e.worker(tm))
	t1 := e.tick(time.Minute)
	first, err := e.Sessions.RevokeSession(e.ctx, s.ID, "logout")
	ok(t, err)
	e.tick(time.Minute)
	second, err := e.Sessions.RevokeSession(e.ctx, s.ID, "admin")
	ok(t, err)
	diff(t, "second RevokeSession", second, first)
	wantTime(t, "RevokedAt", *second.RevokedAt, t1)
}

func testSessionRevokeNotFound(t *testing.T, e *env) {
	_, err := e.Sessions.RevokeSession(e.ctx, ward.NewID(ward.PrefixSession, t0), "x")
	wantCode(t, err, ward.ENOTFOUND)
}

func testSessionRevokeWorker(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, other := e.worker(tm), e.worker(tm)
	live1, live2 := e.session(w), e.session(w)
	expired := e.session(w, func(s *ward.Session) { s.ExpiresAt = us(t0).Add(time.Minute) })
	gone := e.session(w)
	t1 := e.tick(time.Minute)
	goneRevoked, err := e.Sessions.RevokeSession(e.ctx, gone.ID, "logout")
	ok(t, err)
	otherLive := e.session(other)

	t2 := e.tick(time.Minute) // expired has now expired
	n, err := e.Sessions.RevokeWorkerSessions(e.ctx, w.ID, "worker suspended")
	ok(t, err)
	if n != 2 {
		t.Fatalf("RevokeWorkerSessions=%d, want 2", n)
	}
	for _, s := range []*ward.Session{live1, live2} {
		got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
		ok(t, err)
		want := *s
		want.RevokedAt, want.RevokeReason = &t2, "worker suspended"
		diff(t, "revoked session", got, &want)
	}
	for _, want := range []*ward.Session{expired, goneRevoked, otherLive} {
		got, err := e.Sessions.FindSessionByID(e.ctx, want.ID)
		ok(t, err)
		diff(t, "untouched session", got, want)
	}
	wantTime(t, "first revocation kept", *goneRevoked.RevokedAt, t1)

	e.tick(time.Minute)
	n, err = e.Sessions.RevokeWorkerSessions(e.ctx, w.ID, "again")
	ok(t, err)
	if n != 0 {
		t.Fatalf("second RevokeWorkerSessions=%d, want 0", n)
	}
	n, err = e.Sessions.RevokeWorkerSessions(e.ctx, ward.NewID(ward.PrefixWorker, t0), "unknown")
	ok(t, err)
	if n != 0 {
		t.Fatalf("RevokeWorkerSessions(unknown)=%d, want 0", n)
	}
}
