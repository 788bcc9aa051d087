package identity

import (
	"context"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// LockoutPolicy limits failed logins under two keys at once, each with its
// own window, limit and lockout:
//
//   - the account as seen from one origin, "acct:<username>|<origin>",
//     where the origin is the vendor site the request came from, else its
//     country, else its address;
//   - the source address, "addr:<ip>".
//
// Why not per account alone: an attacker who knows a vendor's usernames
// could then lock every one of its workers out with a few guesses each. Here
// the attacker, spraying a vendor's accounts from their own address, locks
// only that address and those accounts as seen from the attacker's origin;
// the workers logging in from their own site are a different key and are
// never locked out by it. Guessing from many addresses is still bounded per
// account and origin. A successful login clears the account key.
type LockoutPolicy struct {
	AccountLimit   int           // failures before the account×origin key locks (default 5)
	AccountWindow  time.Duration // counted over this window (default 15m)
	AccountLockout time.Duration // locked for this long (default 15m)
	AddrLimit      int           // failures before the address key locks (default 20)
	AddrWindow     time.Duration // default 15m
	AddrLockout    time.Duration // default 15m
}

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if p.AccountLimit <= 0 {
		p.AccountLimit = 5
	}
	if p.AddrLimit <= 0 {
		p.AddrLimit = 20
	}
	def(&p.AccountWindow, 15*time.Minute)
	def(&p.AccountLockout, 15*time.Minute)
	def(&p.AddrWindow, 15*time.Minute)
	def(&p.AddrLockout, 15*time.Minute)
	return p
}

// maxKeyUsername bounds the username part of a key: attackers choose it.
const maxKeyUsername = 64

// lockKeys returns the account×origin and address keys of a login attempt.
func lockKeys(username string, o Origin) (acct, addr string) {
	u := strings.ToLower(strings.TrimSpace(username))
	if len(u) > maxKeyUsername {
		u = u[:maxKeyUsername]
	}
	var origin string
	switch {
	case o.SiteID != "":
		origin = "site:" + o.SiteID
	case o.Country != "":
		origin = "country:" + o.Country
	default:
		origin = "addr:" + o.Addr.String()
	}
	return "acct:" + u + "|" + origin, "addr:" + o.Addr.String()
}

// lockedOut returns a locked_out refusal when either key is locked.
func (m *Manager) lockedOut(ctx context.Context, keys [2]string, now time.Time) error {
	for _, k := range keys {
		f, err := m.svc.LoginFailures.FindLoginFailures(ctx, k)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			continue
		} else if err != nil {
			return unavailable("login service", err)
		}
		if f.Locked(now) {
			return errLockedOut(int(f.LockedUntil.Sub(now).Minutes() + 0.999))
		}
	}
	return nil
}

// countFailure counts a failed login under both keys and returns the keys
// that it locked.
func (m *Manager) countFailure(ctx context.Context, keys [2]string, now time.Time) (locked []*ward.LoginFailures, err error) {
	p := m.cfg.Lockout
	limits := [2]struct {
		window, lockout time.Duration
		limit           int
	}{
		{p.AccountWindow, p.AccountLockout, p.AccountLimit},
		{p.AddrWindow, p.AddrLockout, p.AddrLimit},
	}
	for i, k := range keys {
		f, err := m.svc.LoginFailures.AddLoginFailure(ctx, k, limits[i].window, limits[i].limit, limits[i].lockout)
		if err != nil {
			return locked, unavailable("login service", err)
		}
		// The key was not locked before this attempt (lockedOut checked),
		// so a lock now is new.
		if f.Locked(now) {
			locked = append(locked, f)
		}
	}
	return locked, nil
}
