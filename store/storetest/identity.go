package storetest

import (
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// Contracts of the identity services beyond their doc comments, which both
// drivers MUST keep:
//
//   - Credentials.UpdatedAt moves when a factor is set (password, TOTP, a
//     new security key), not when one is used (UseTOTPStep, sign counts).
//   - FindCredentials lists security keys oldest first; WebAuthn and each
//     key's Transports are never nil; an empty AAGUID reads as nil.
//   - SetTOTP("") on a worker without credentials creates none.
//   - AddLoginFailure never shortens a lockout: a window restarting while
//     the key is locked keeps LockedUntil.
//   - Revoking a device or token twice keeps the first time.
//   - FindOnboardingRecords lists in creation order, and an unknown worker
//     has an empty list.

var credentialTests = []test{
	{"Credentials/Find/ErrNotFound", testCredentialsNotFound},
	{"Credentials/SetPassword/OK", testCredentialsSetPassword},
	{"Credentials/SetPassword/ErrInvalid", testCredentialsSetPasswordInvalid},
	{"Credentials/SetTOTP/OK", testCredentialsSetTOTP},
	{"Credentials/SetTOTP/ErrWorkerUnknown", testCredentialsSetTOTPInvalid},
	{"Credentials/UseTOTPStep/OK", testCredentialsUseTOTPStep},
	{"Credentials/UseTOTPStep/ErrReplay", testCredentialsUseTOTPStepReplay},
	{"Credentials/UseTOTPStep/ErrNotFound", testCredentialsUseTOTPStepNotFound},
	{"Credentials/UseTOTPStep/ConcurrentOnce", testCredentialsUseTOTPStepConcurrent},
	{"Credentials/AddWebAuthn/OK", testCredentialsAddWebAuthn},
	{"Credentials/AddWebAuthn/ErrIDTaken", testCredentialsAddWebAuthnTaken},
	{"Credentials/AddWebAuthn/ErrInvalid", testCredentialsAddWebAuthnInvalid},
	{"Credentials/UpdateSignCount/OK", testCredentialsUpdateSignCount},
	{"Credentials/UpdateSignCount/ErrNotFound", testCredentialsUpdateSignCountNotFound},
	{"Session/Create/Method", testSessionCreateMethod},
}

func testCredentialsNotFound(t *testing.T, e *env) {
	w := e.person()
	_, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	wantCode(t, err, ward.ENOTFOUND)
	_, err = e.Credentials.FindCredentials(e.ctx, ward.NewID(ward.PrefixWorker, t0))
	wantCode(t, err, ward.ENOTFOUND)
}

func testCredentialsSetPassword(t *testing.T, e *env) {
	w := e.person()
	ok(t, e.Credentials.SetPassword(e.ctx, w.ID, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"))
	got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	want := &ward.Credentials{
		WorkerID: w.ID, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		WebAuthn: []*ward.WebAuthnCredential{}, UpdatedAt: us(t0),
	}
	diff(t, "FindCredentials", got, want)
	if got.MFAEnrolled() {
		t.Fatal("MFAEnrolled()=true with a password only")
	}

	t.Run("Replace", func(t *testing.T) {
		t1 := e.tick(time.Minute)
		ok(t, e.Credentials.SetPassword(e.ctx, w.ID, "$argon2id$new"))
		got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
		ok(t, err)
		want.PasswordHash, want.UpdatedAt = "$argon2id$new", t1
		diff(t, "FindCredentials", got, want)
		wantTime(t, "UpdatedAt", got.UpdatedAt, t1)
	})
}

func testCredentialsSetPasswordInvalid(t *testing.T, e *env) {
	w := e.person()
	for _, tt := range []struct {
		name, workerID, hash, field string
	}{
		{"ErrWorkerRequired", "", "$argon2id$x", "worker_id"},
		{"ErrWorkerUnknown", ward.NewID(ward.PrefixWorker, t0), "$argon2id$x", "worker_id"},
		{"ErrHashRequired", w.ID, "", "password_hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantField(t, e.Credentials.SetPassword(e.ctx, tt.workerID, tt.hash), tt.field)
		})
	}
	_, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	wantCode(t, err, ward.ENOTFOUND)
}

func testCredentialsSetTOTP(t *testing.T, e *env) {
	w := e.person()
	t.Run("RemoveWithoutCredentials", func(t *testing.T) {
		ok(t, e.Credentials.SetTOTP(e.ctx, w.ID, ""))
		_, err := e.Credentials.FindCredentials(e.ctx, w.ID)
		wantCode(t, err, ward.ENOTFOUND)
	})

	t1 := e.tick(time.Minute)
	ok(t, e.Credentials.SetTOTP(e.ctx, w.ID, "JBSWY3DPEHPK3PXP"))
	got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	want := &ward.Credentials{
		WorkerID: w.ID, TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnrolledAt: &t1,
		WebAuthn: []*ward.WebAuthnCredential{}, UpdatedAt: t1,
	}
	diff(t, "FindCredentials", got, want)
	wantTime(t, "TOTPEnrolledAt", *got.TOTPEnrolledAt, t1)
	if !got.MFAEnrolled() {
		t.Fatal("MFAEnrolled()=false after SetTOTP")
	}

	t.Run("ReenrolResetsStep", func(t *testing.T) {
		ok(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, 1000))
		t2 := e.tick(time.Minute)
		ok(t, e.Credentials.SetTOTP(e.ctx, w.ID, "KRSXG5CTMVRXEZLU"))
		got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
		ok(t, err)
		want := &ward.Credentials{
			WorkerID: w.ID, TOTPSecret: "KRSXG5CTMVRXEZLU", TOTPEnrolledAt: &t2,
			WebAuthn: []*ward.WebAuthnCredential{}, UpdatedAt: t2,
		}
		diff(t, "FindCredentials", got, want)
	})

	t.Run("Remove", func(t *testing.T) {
		ok(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, 2000))
		t3 := e.tick(time.Minute)
		ok(t, e.Credentials.SetTOTP(e.ctx, w.ID, ""))
		got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
		ok(t, err)
		want := &ward.Credentials{WorkerID: w.ID, WebAuthn: []*ward.WebAuthnCredential{}, UpdatedAt: t3}
		diff(t, "FindCredentials", got, want)
		if got.MFAEnrolled() {
			t.Fatal("MFAEnrolled()=true after removing TOTP")
		}
	})
}

func testCredentialsSetTOTPInvalid(t *testing.T, e *env) {
	unknown := ward.NewID(ward.PrefixWorker, t0)
	wantField(t, e.Credentials.SetTOTP(e.ctx, unknown, "JBSWY3DPEHPK3PXP"), "worker_id")
	wantField(t, e.Credentials.SetTOTP(e.ctx, unknown, ""), "worker_id")
	wantField(t, e.Credentials.SetTOTP(e.ctx, "", "JBSWY3DPEHPK3PXP"), "worker_id")
}

// totpWorker returns a worker with TOTP enrolled.
func (e *env) totpWorker() *ward.Worker {
	e.t.Helper()
	w := e.person()
	ok(e.t, e.Credentials.SetTOTP(e.ctx, w.ID, "JBSWY3DPEHPK3PXP"))
	return w
}

func testCredentialsUseTOTPStep(t *testing.T, e *env) {
	w := e.totpWorker()
	before, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	e.tick(time.Minute)
	for _, step := range []int64{58_000_000, 58_000_001, 58_000_010} {
		ok(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, step))
		got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
		ok(t, err)
		if got.TOTPLastStep != step {
			t.Fatalf("TOTPLastStep=%d, want %d", got.TOTPLastStep, step)
		}
		// Using a factor is not setting one.
		wantTime(t, "UpdatedAt", got.UpdatedAt, before.UpdatedAt)
	}
}

func testCredentialsUseTOTPStepReplay(t *testing.T, e *env) {
	w := e.totpWorker()
	ok(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, 100))
	for _, step := range []int64{100, 99, 0, -1} {
		wantCode(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, step), ward.ECONFLICT)
	}
	got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	if got.TOTPLastStep != 100 {
		t.Fatalf("TOTPLastStep=%d, want 100", got.TOTPLastStep)
	}
}

func testCredentialsUseTOTPStepNotFound(t *testing.T, e *env) {
	w := e.person()
	wantCode(t, e.Credentials.UseTOTPStep(e.ctx, w.ID, 1), ward.ENOTFOUND)
	wantCode(t, e.Credentials.UseTOTPStep(e.ctx, ward.NewID(ward.PrefixWorker, t0), 1), ward.ENOTFOUND)
}

// testCredentialsUseTOTPStepConcurrent checks that of n replicas accepting
// one code at once, exactly one succeeds.
func testCredentialsUseTOTPStepConcurrent(t *testing.T, e *env) {
	w := e.totpWorker()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = e.Credentials.UseTOTPStep(e.ctx, w.ID, 777) })
	}
	wg.Wait()
	codes := make(map[string]int)
	for _, err := range errs {
		codes[ward.ErrorCode(err)]++
	}
	if codes[""] != 1 || codes[ward.ECONFLICT] != n-1 {
		t.Fatalf("codes=%v, want 1 success and %d conflicts (errs=%v)", codes, n-1, errs)
	}
}

// securityKey returns a valid key with a unique credential ID.
func (e *env) securityKey(name string) *ward.WebAuthnCredential {
	id := sha256.Sum256([]byte(e.uniq("credential")))
	return &ward.WebAuthnCredential{
		ID:         id[:16],
		PublicKey:  []byte{0xa5, 0x01, 0x02, 0x03, 0x26},
		AAGUID:     []byte{0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a},
		SignCount:  7,
		Transports: []string{"usb", "nfc"},
		Name:       name,
	}
}

func testCredentialsAddWebAuthn(t *testing.T, e *env) {
	w := e.person()
	k1 := e.securityKey("YubiKey 5")
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k1))
	wantTime(t, "CreatedAt", k1.CreatedAt, us(t0))
	t1 := e.tick(time.Minute)
	k2 := e.securityKey("")
	k2.AAGUID, k2.Transports, k2.SignCount = nil, nil, 0
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k2))
	if k2.Transports == nil {
		t.Fatal("Transports=nil after create, want empty")
	}

	got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	// A key alone creates the record, without a password.
	want := &ward.Credentials{WorkerID: w.ID, WebAuthn: []*ward.WebAuthnCredential{k1, k2}, UpdatedAt: t1}
	diff(t, "FindCredentials", got, want)
	if !got.MFAEnrolled() {
		t.Fatal("MFAEnrolled()=false with a security key")
	}
}

func testCredentialsAddWebAuthnTaken(t *testing.T, e *env) {
	w, other := e.person(), e.person()
	k := e.securityKey("key")
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k))
	dup := *k
	wantCode(t, e.Credentials.AddWebAuthnCredential(e.ctx, other.ID, &dup), ward.ECONFLICT)
	dup = *k
	wantCode(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, &dup), ward.ECONFLICT)
	// The failed write changed nothing: the other worker has no record.
	_, err := e.Credentials.FindCredentials(e.ctx, other.ID)
	wantCode(t, err, ward.ENOTFOUND)
}

func testCredentialsAddWebAuthnInvalid(t *testing.T, e *env) {
	w := e.person()
	for _, tt := range []struct {
		name     string
		workerID string
		mod      func(*ward.WebAuthnCredential)
		field    string
	}{
		{"ErrWorkerUnknown", ward.NewID(ward.PrefixWorker, t0), func(*ward.WebAuthnCredential) {}, "worker_id"},
		{"ErrIDRequired", w.ID, func(k *ward.WebAuthnCredential) { k.ID = nil }, "id"},
		{"ErrPublicKeyRequired", w.ID, func(k *ward.WebAuthnCredential) { k.PublicKey = nil }, "public_key"},
		{"ErrNameTooLong", w.ID, func(k *ward.WebAuthnCredential) { k.Name = strings.Repeat("k", 101) }, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := e.securityKey("key")
			tt.mod(k)
			wantField(t, e.Credentials.AddWebAuthnCredential(e.ctx, tt.workerID, k), tt.field)
		})
	}
	wantCode(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, nil), ward.EINVALID)
}

func testCredentialsUpdateSignCount(t *testing.T, e *env) {
	w := e.person()
	k1, k2 := e.securityKey("a"), e.securityKey("b")
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k1))
	e.tick(time.Second)
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k2))
	ok(t, e.Credentials.UpdateWebAuthnSignCount(e.ctx, w.ID, k1.ID, 1<<32-1))
	got, err := e.Credentials.FindCredentials(e.ctx, w.ID)
	ok(t, err)
	if got.WebAuthn[0].SignCount != 1<<32-1 || got.WebAuthn[1].SignCount != 7 {
		t.Fatalf("SignCounts=%d, %d, want %d, 7", got.WebAuthn[0].SignCount, got.WebAuthn[1].SignCount, uint32(1<<32-1))
	}
}

func testCredentialsUpdateSignCountNotFound(t *testing.T, e *env) {
	w, other := e.person(), e.person()
	k := e.securityKey("a")
	ok(t, e.Credentials.AddWebAuthnCredential(e.ctx, w.ID, k))
	wantCode(t, e.Credentials.UpdateWebAuthnSignCount(e.ctx, other.ID, k.ID, 9), ward.ENOTFOUND)
	wantCode(t, e.Credentials.UpdateWebAuthnSignCount(e.ctx, w.ID, []byte("unknown"), 9), ward.ENOTFOUND)
	wantCode(t, e.Credentials.UpdateWebAuthnSignCount(e.ctx, w.ID, nil, 9), ward.ENOTFOUND)
}

func testSessionCreateMethod(t *testing.T, e *env) {
	w := e.person()
	for _, method := range []string{"password+totp", "webauthn", "oidc", ""} {
		s := e.session(w, func(s *ward.Session) { s.Method = method })
		got, err := e.Sessions.FindSessionByID(e.ctx, s.ID)
		ok(t, err)
		if got.Method != method {
			t.Fatalf("Method=%q, want %q", got.Method, method)
		}
		diff(t, "FindSessionByID", got, s)
	}
}

var loginFailureTests = []test{
	{"LoginFailures/Find/ErrNotFound", testLoginFailuresNotFound},
	{"LoginFailures/Add/CountsAndLocks", testLoginFailuresAdd},
	{"LoginFailures/Add/WindowRestarts", testLoginFailuresWindow},
	{"LoginFailures/Add/ErrInvalid", testLoginFailuresInvalid},
	{"LoginFailures/Add/ConcurrentCountsEach", testLoginFailuresConcurrent},
	{"LoginFailures/Clear/OK", testLoginFailuresClear},
}

func testLoginFailuresNotFound(t *testing.T, e *env) {
	_, err := e.LoginFailures.FindLoginFailures(e.ctx, "acct:nobody|site:S1")
	wantCode(t, err, ward.ENOTFOUND)
}

func testLoginFailuresAdd(t *testing.T, e *env) {
	const key = "acct:joy.santos|site:S1"
	start := us(t0)
	for i := 1; i <= 4; i++ {
		now := us(e.now)
		f, err := e.LoginFailures.AddLoginFailure(e.ctx, key, 15*time.Minute, 3, time.Hour)
		ok(t, err)
		want := &ward.LoginFailures{Key: key, Count: i, WindowStart: start}
		if i >= 3 {
			// Each failure at or past the limit locks from its own time.
			until := now.Add(time.Hour)
			want.LockedUntil = &until
		}
		diff(t, "AddLoginFailure", f, want)
		got, err := e.LoginFailures.FindLoginFailures(e.ctx, key)
		ok(t, err)
		diff(t, "FindLoginFailures", got, want)
		wantTime(t, "WindowStart", got.WindowStart, start)
		if got.Locked(now) != (i >= 3) {
			t.Fatalf("failure %d: Locked=%v", i, got.Locked(now))
		}
		e.tick(time.Minute)
	}
}

func testLoginFailuresWindow(t *testing.T, e *env) {
	const key = "addr:203.0.113.9"
	ok1 := func(limit int) *ward.LoginFailures {
		t.Helper()
		f, err := e.LoginFailures.AddLoginFailure(e.ctx, key, 10*time.Minute, limit, time.Hour)
		ok(t, err)
		return f
	}
	ok1(5)
	e.tick(10 * time.Minute) // exactly window after the start (plus ns the store drops): still in it
	if f := ok1(5); f.Count != 2 {
		t.Fatalf("Count=%d, want 2 within the window", f.Count)
	}
	t1 := e.tick(time.Minute)
	f := ok1(5)
	want := &ward.LoginFailures{Key: key, Count: 1, WindowStart: t1}
	diff(t, "restarted window", f, want)

	t.Run("KeepsLock", func(t *testing.T) {
		e.tick(time.Minute)
		locked := ok1(2) // count 2 reaches the limit
		if locked.LockedUntil == nil {
			t.Fatal("LockedUntil=nil at the limit")
		}
		t2 := e.tick(20 * time.Minute) // window over, lock not
		f := ok1(5)
		want := &ward.LoginFailures{Key: key, Count: 1, WindowStart: t2, LockedUntil: locked.LockedUntil}
		diff(t, "restarted window while locked", f, want)
		if !f.Locked(t2) {
			t.Fatal("Locked=false: a window restart unlocked the key")
		}
	})
}

func testLoginFailuresInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name    string
		key     string
		window  time.Duration
		limit   int
		lockout time.Duration
	}{
		{"ErrKey", "", time.Minute, 3, time.Hour},
		{"ErrWindow", "k", 0, 3, time.Hour},
		{"ErrLimit", "k", time.Minute, 0, time.Hour},
		{"ErrLockout", "k", time.Minute, 3, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.LoginFailures.AddLoginFailure(e.ctx, tt.key, tt.window, tt.limit, tt.lockout)
			wantCode(t, err, ward.EINVALID)
		})
	}
	_, err := e.LoginFailures.FindLoginFailures(e.ctx, "k")
	wantCode(t, err, ward.ENOTFOUND)
}

// testLoginFailuresConcurrent checks that failures counted at once, as by
// several replicas, each count.
func testLoginFailuresConcurrent(t *testing.T, e *env) {
	const key, n = "acct:race|site:S1", 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.LoginFailures.AddLoginFailure(e.ctx, key, time.Hour, 100, time.Hour)
		})
	}
	wg.Wait()
	for _, err := range errs {
		ok(t, err)
	}
	got, err := e.LoginFailures.FindLoginFailures(e.ctx, key)
	ok(t, err)
	if got.Count != n {
		t.Fatalf("Count=%d, want %d", got.Count, n)
	}
}

func testLoginFailuresClear(t *testing.T, e *env) {
	const key = "acct:joy|site:S1"
	_, err := e.LoginFailures.AddLoginFailure(e.ctx, key, time.Minute, 1, time.Hour)
	ok(t, err)
	_, err = e.LoginFailures.AddLoginFailure(e.ctx, "other", time.Minute, 1, time.Hour)
	ok(t, err)
	ok(t, e.LoginFailures.ClearLoginFailures(e.ctx, key))
	_, err = e.LoginFailures.FindLoginFailures(e.ctx, key)
	wantCode(t, err, ward.ENOTFOUND)
	_, err = e.LoginFailures.FindLoginFailures(e.ctx, "other")
	ok(t, err)
	ok(t, e.LoginFailures.ClearLoginFailures(e.ctx, key))
	ok(t, e.LoginFailures.ClearLoginFailures(e.ctx, "never-seen"))
	// Counting starts afresh.
	f, err := e.LoginFailures.AddLoginFailure(e.ctx, key, time.Minute, 5, time.Hour)
	ok(t, err)
	if f.Count != 1 || f.LockedUntil != nil {
		t.Fatalf("after clear: %+v, want count 1, unlocked", f)
	}
}

var deviceTests = []test{
	{"Device/Create/OK", testDeviceCreate},
	{"Device/Create/ErrInvalid", testDeviceCreateInvalid},
	{"Device/Create/ErrIdentityTaken", testDeviceCreateTaken},
	{"Device/Find/Filter", testDeviceFilter},
	{"Device/Revoke/OK", testDeviceRevoke},
	{"Device/Revoke/ErrNotFound", testDeviceRevokeNotFound},
}

func (e *env) device(w *ward.Worker, mods ...func(*ward.Device)) *ward.Device {
	e.t.Helper()
	d := &ward.Device{WorkerID: w.ID, Identity: "vdi:" + e.uniqLower("host"), Name: "Citrix host"}
	for _, m := range mods {
		m(d)
	}
	ok(e.t, e.Devices.CreateDevice(e.ctx, d))
	return d
}

func testDeviceCreate(t *testing.T, e *env) {
	w := e.person()
	d := &ward.Device{WorkerID: w.ID, Identity: "sha256:" + strings.Repeat("ab", 32), Name: "VDI-MNL-042"}
	ok(t, e.Devices.CreateDevice(e.ctx, d))
	wantID(t, d.ID, ward.PrefixDevice)
	want := &ward.Device{ID: d.ID, WorkerID: w.ID, Identity: d.Identity, Name: "VDI-MNL-042", EnrolledBy: actor, EnrolledAt: us(t0)}
	diff(t, "CreateDevice argument", d, want)
	got, _, err := e.Devices.FindDevices(e.ctx, ward.DeviceFilter{WorkerID: &w.ID})
	ok(t, err)
	diff(t, "FindDevices", got, []*ward.Device{want})
	wantTime(t, "EnrolledAt", got[0].EnrolledAt, us(t0))
	byID, _, err := e.Devices.FindDevices(e.ctx, ward.DeviceFilter{ID: &d.ID})
	ok(t, err)
	diff(t, "FindDevices by ID", byID, []*ward.Device{want})

	t.Run("SystemActor", func(t *testing.T) {
		d := &ward.Device{WorkerID: w.ID, Identity: "vdi:sys"}
		ok(t, e.Devices.CreateDevice(t.Context(), d))
		if d.EnrolledBy != "system" {
			t.Fatalf("EnrolledBy=%q, want system", d.EnrolledBy)
		}
	})
}

func testDeviceCreateInvalid(t *testing.T, e *env) {
	w := e.person()
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Device)
		field string
	}{
		{"ErrWorkerRequired", func(d *ward.Device) { d.WorkerID = "" }, "worker_id"},
		{"ErrWorkerUnknown", func(d *ward.Device) { d.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrIdentity", func(d *ward.Device) { d.Identity = "" }, "identity"},
		{"ErrName", func(d *ward.Device) { d.Name = strings.Repeat("n", 101) }, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &ward.Device{WorkerID: w.ID, Identity: "vdi:h"}
			tt.mod(d)
			wantField(t, e.Devices.CreateDevice(e.ctx, d), tt.field)
		})
	}
	_, n, err := e.Devices.FindDevices(e.ctx, ward.DeviceFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d, want 0", n)
	}
}

func testDeviceCreateTaken(t *testing.T, e *env) {
	w, other := e.person(), e.person()
	d := e.device(w)
	wantConflict(t, e.Devices.CreateDevice(e.ctx, &ward.Device{WorkerID: w.ID, Identity: d.Identity}), "identity")
	// Another worker may use the same host.
	e.device(other, func(o *ward.Device) { o.Identity = d.Identity })
	// Once revoked, the identity may be enrolled again.
	_, err := e.Devices.RevokeDevice(e.ctx, d.ID)
	ok(t, err)
	again := e.device(w, func(o *ward.Device) { o.Identity = d.Identity })
	if again.ID == d.ID {
		t.Fatal("re-enrolment reused the revoked device's ID")
	}
}

func testDeviceFilter(t *testing.T, e *env) {
	w1, w2 := e.person(), e.person()
	a, b, c := e.device(w1), e.device(w1), e.device(w2, func(d *ward.Device) { d.Identity = "vdi:shared" })
	d := e.device(w1, func(d *ward.Device) { d.Identity = "vdi:shared" })
	_, err := e.Devices.RevokeDevice(e.ctx, b.ID)
	ok(t, err)
	shared := "vdi:shared"
	for _, tt := range []struct {
		name   string
		filter ward.DeviceFilter
		want   []string
	}{
		{"All", ward.DeviceFilter{}, sorted(a.ID, b.ID, c.ID, d.ID)},
		{"Worker", ward.DeviceFilter{WorkerID: &w1.ID}, sorted(a.ID, b.ID, d.ID)},
		{"Identity", ward.DeviceFilter{Identity: &shared}, sorted(c.ID, d.ID)},
		{"Active", ward.DeviceFilter{WorkerID: &w1.ID, Active: ptr(true)}, sorted(a.ID, d.ID)},
		{"Revoked", ward.DeviceFilter{Active: ptr(false)}, []string{b.ID}},
		{"Page", ward.DeviceFilter{Page: ward.Page{Offset: 1, Limit: 2}}, sorted(a.ID, b.ID, c.ID, d.ID)[1:3]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := e.Devices.FindDevices(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(got, func(d *ward.Device) string { return d.ID }), tt.want...)
			if tt.name == "Page" && total != 4 {
				t.Fatalf("total=%d, want 4", total)
			}
		})
	}
	_, _, err = e.Devices.FindDevices(e.ctx, ward.DeviceFilter{Page: ward.Page{Offset: -1}})
	wantField(t, err, "offset")
}

func testDeviceRevoke(t *testing.T, e *env) {
	w := e.person()
	d := e.device(w)
	t1 := e.tick(time.Minute)
	got, err := e.Devices.RevokeDevice(e.ctx, d.ID)
	ok(t, err)
	want := *d
	want.RevokedAt = &t1
	diff(t, "RevokeDevice", got, &want)
	e.tick(time.Minute)
	got, err = e.Devices.RevokeDevice(e.ctx, d.ID)
	ok(t, err)
	diff(t, "second RevokeDevice", got, &want)
	list, _, err := e.Devices.FindDevices(e.ctx, ward.DeviceFilter{WorkerID: &w.ID})
	ok(t, err)
	diff(t, "FindDevices", list, []*ward.Device{&want})
}

func testDeviceRevokeNotFound(t *testing.T, e *env) {
	_, err := e.Devices.RevokeDevice(e.ctx, ward.NewID(ward.PrefixDevice, t0))
	wantCode(t, err, ward.ENOTFOUND)
}

var apiTokenTests = []test{
	{"APIToken/Create/OK", testAPITokenCreate},
	{"APIToken/Create/ErrInvalid", testAPITokenCreateInvalid},
	{"APIToken/Create/ErrHashTaken", testAPITokenCreateTaken},
	{"APIToken/FindByHash/ErrNotFound", testAPITokenFindByHashNotFound},
	{"APIToken/Find/Filter", testAPITokenFilter},
	{"APIToken/Revoke/OK", testAPITokenRevoke},
	{"APIToken/Revoke/ErrNotFound", testAPITokenRevokeNotFound},
}

func (e *env) apiToken(mods ...func(*ward.APIToken)) *ward.APIToken {
	e.t.Helper()
	h := sha256.Sum256([]byte(e.uniq("api token")))
	tok := &ward.APIToken{Name: e.uniq("VDI signals"), Kind: ward.TokenSignals, TokenHash: h[:]}
	for _, m := range mods {
		m(tok)
	}
	ok(e.t, e.APITokens.CreateAPIToken(e.ctx, tok))
	return tok
}

func testAPITokenCreate(t *testing.T, e *env) {
	v := e.vendor()
	h := sha256.Sum256([]byte("scim-secret"))
	tok := &ward.APIToken{Name: "Acme HR", Kind: ward.TokenSCIM, VendorID: v.ID, TokenHash: h[:]}
	ok(t, e.APITokens.CreateAPIToken(e.ctx, tok))
	wantID(t, tok.ID, ward.PrefixAPIToken)
	want := &ward.APIToken{ID: tok.ID, Name: "Acme HR", Kind: ward.TokenSCIM, VendorID: v.ID, TokenHash: h[:], CreatedBy: actor, CreatedAt: us(t0)}
	diff(t, "CreateAPIToken argument", tok, want)
	got, err := e.APITokens.FindAPITokenByHash(e.ctx, h[:])
	ok(t, err)
	diff(t, "FindAPITokenByHash", got, want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))

	t.Run("SignalsWithoutVendor", func(t *testing.T) {
		s := e.apiToken()
		got, err := e.APITokens.FindAPITokenByHash(e.ctx, s.TokenHash)
		ok(t, err)
		diff(t, "FindAPITokenByHash", got, s)
	})
}

func testAPITokenCreateInvalid(t *testing.T, e *env) {
	v := e.vendor()
	h := sha256.Sum256([]byte("x"))
	for _, tt := range []struct {
		name  string
		mod   func(*ward.APIToken)
		field string
	}{
		{"ErrName", func(tok *ward.APIToken) { tok.Name = "" }, "name"},
		{"ErrKind", func(tok *ward.APIToken) { tok.Kind = "admin" }, "kind"},
		{"ErrSCIMVendorRequired", func(tok *ward.APIToken) { tok.VendorID = "" }, "vendor_id"},
		{"ErrVendorUnknown", func(tok *ward.APIToken) { tok.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
		{"ErrSignalsVendorUnknown", func(tok *ward.APIToken) {
			tok.Kind, tok.VendorID = ward.TokenSignals, ward.NewID(ward.PrefixVendor, t0)
		}, "vendor_id"},
		{"ErrTokenHash", func(tok *ward.APIToken) { tok.TokenHash = []byte("short") }, "token_hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := &ward.APIToken{Name: "HR", Kind: ward.TokenSCIM, VendorID: v.ID, TokenHash: h[:]}
			tt.mod(tok)
			wantField(t, e.APITokens.CreateAPIToken(e.ctx, tok), tt.field)
		})
	}
	_, n, err := e.APITokens.FindAPITokens(e.ctx, ward.APITokenFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d, want 0", n)
	}
}

func testAPITokenCreateTaken(t *testing.T, e *env) {
	tok := e.apiToken()
	dup := &ward.APIToken{Name: "Other", Kind: ward.TokenSignals, TokenHash: tok.TokenHash}
	wantConflict(t, e.APITokens.CreateAPIToken(e.ctx, dup), "token_hash")
	// Revoked hashes stay taken: a token is never valid twice.
	_, err := e.APITokens.RevokeAPIToken(e.ctx, tok.ID)
	ok(t, err)
	wantConflict(t, e.APITokens.CreateAPIToken(e.ctx, dup), "token_hash")
}

func testAPITokenFindByHashNotFound(t *testing.T, e *env) {
	tok := e.apiToken()
	h := sha256.Sum256([]byte("unknown"))
	_, err := e.APITokens.FindAPITokenByHash(e.ctx, h[:])
	wantCode(t, err, ward.ENOTFOUND)
	_, err = e.APITokens.FindAPITokenByHash(e.ctx, nil)
	wantCode(t, err, ward.ENOTFOUND)
	_, err = e.APITokens.RevokeAPIToken(e.ctx, tok.ID)
	ok(t, err)
	_, err = e.APITokens.FindAPITokenByHash(e.ctx, tok.TokenHash)
	wantCode(t, err, ward.ENOTFOUND)
}

func testAPITokenFilter(t *testing.T, e *env) {
	v1, v2 := e.vendor(), e.vendor()
	a := e.apiToken(func(tok *ward.APIToken) { tok.Kind, tok.VendorID = ward.TokenSCIM, v1.ID })
	b := e.apiToken(func(tok *ward.APIToken) { tok.Kind, tok.VendorID = ward.TokenSCIM, v2.ID })
	c := e.apiToken()
	d := e.apiToken(func(tok *ward.APIToken) { tok.VendorID = v1.ID })
	_, err := e.APITokens.RevokeAPIToken(e.ctx, a.ID)
	ok(t, err)
	scim, none := ward.TokenSCIM, ""
	for _, tt := range []struct {
		name   string
		filter ward.APITokenFilter
		want   []string
	}{
		{"All", ward.APITokenFilter{}, sorted(a.ID, b.ID, c.ID, d.ID)},
		{"Kind", ward.APITokenFilter{Kind: &scim}, sorted(a.ID, b.ID)},
		{"Vendor", ward.APITokenFilter{VendorID: &v1.ID}, sorted(a.ID, d.ID)},
		{"NoVendor", ward.APITokenFilter{VendorID: &none}, []string{c.ID}},
		{"Page", ward.APITokenFilter{Page: ward.Page{Offset: 3, Limit: 2}}, sorted(a.ID, b.ID, c.ID, d.ID)[3:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := e.APITokens.FindAPITokens(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(got, func(tok *ward.APIToken) string { return tok.ID }), tt.want...)
			if tt.name == "Page" && total != 4 {
				t.Fatalf("total=%d, want 4", total)
			}
		})
	}
	_, _, err = e.APITokens.FindAPITokens(e.ctx, ward.APITokenFilter{Page: ward.Page{Limit: ward.MaxLimit + 1}})
	wantField(t, err, "limit")
}

func testAPITokenRevoke(t *testing.T, e *env) {
	tok := e.apiToken()
	t1 := e.tick(time.Minute)
	got, err := e.APITokens.RevokeAPIToken(e.ctx, tok.ID)
	ok(t, err)
	want := *tok
	want.RevokedAt = &t1
	diff(t, "RevokeAPIToken", got, &want)
	e.tick(time.Minute)
	got, err = e.APITokens.RevokeAPIToken(e.ctx, tok.ID)
	ok(t, err)
	diff(t, "second RevokeAPIToken", got, &want)
	list, _, err := e.APITokens.FindAPITokens(e.ctx, ward.APITokenFilter{})
	ok(t, err)
	diff(t, "FindAPITokens", list, []*ward.APIToken{&want})
}

func testAPITokenRevokeNotFound(t *testing.T, e *env) {
	_, err := e.APITokens.RevokeAPIToken(e.ctx, ward.NewID(ward.PrefixAPIToken, t0))
	wantCode(t, err, ward.ENOTFOUND)
}

var onboardingTests = []test{
	{"Onboarding/Create/OK", testOnboardingCreate},
	{"Onboarding/Create/ErrInvalid", testOnboardingCreateInvalid},
	{"Onboarding/Find/Empty", testOnboardingFindEmpty},
}

func testOnboardingCreate(t *testing.T, e *env) {
	w, other := e.person(), e.person()
	done := ward.Date{Year: 2025, Month: time.February, Day: 10}
	expires := ward.Date{Year: 2026, Month: time.February, Day: 10}
	r1 := &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepIdentityVerified, Evidence: "Passport checked by HR"}
	ok(t, e.Onboarding.CreateOnboardingRecord(e.ctx, r1))
	wantID(t, r1.ID, ward.PrefixOnboarding)
	want1 := &ward.OnboardingRecord{ID: r1.ID, WorkerID: w.ID, Step: ward.StepIdentityVerified, Actor: actor, At: us(t0), Evidence: "Passport checked by HR"}
	diff(t, "CreateOnboardingRecord argument", r1, want1)

	t1 := e.tick(time.Hour)
	r2 := &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepHIPAATraining, Evidence: "cert 42", CompletedOn: &done, ExpiresOn: &expires}
	ok(t, e.Onboarding.CreateOnboardingRecord(e.ctx, r2))
	// The same step again (yearly training) is a new record.
	zero := ward.Date{}
	r3 := &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepHIPAATraining, CompletedOn: &zero}
	ok(t, e.Onboarding.CreateOnboardingRecord(t.Context(), r3))
	if r3.CompletedOn != nil || r3.Actor != "system" {
		t.Fatalf("r3=%+v, want CompletedOn nil, Actor system", r3)
	}
	ok(t, e.Onboarding.CreateOnboardingRecord(e.ctx, &ward.OnboardingRecord{WorkerID: other.ID, Step: ward.StepMFAEnrolled}))

	got, err := e.Onboarding.FindOnboardingRecords(e.ctx, w.ID)
	ok(t, err)
	want2 := &ward.OnboardingRecord{ID: r2.ID, WorkerID: w.ID, Step: ward.StepHIPAATraining, Actor: actor, At: t1,
		Evidence: "cert 42", CompletedOn: &done, ExpiresOn: &expires}
	diff(t, "FindOnboardingRecords", got, []*ward.OnboardingRecord{want1, want2, r3})
	wantTime(t, "At", got[1].At, t1)
}

func testOnboardingCreateInvalid(t *testing.T, e *env) {
	w := e.person()
	before := ward.Date{Year: 2025, Month: time.January, Day: 1}
	after := ward.Date{Year: 2025, Month: time.January, Day: 2}
	for _, tt := range []struct {
		name  string
		mod   func(*ward.OnboardingRecord)
		field string
	}{
		{"ErrWorkerRequired", func(r *ward.OnboardingRecord) { r.WorkerID = "" }, "worker_id"},
		{"ErrWorkerUnknown", func(r *ward.OnboardingRecord) { r.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrStep", func(r *ward.OnboardingRecord) { r.Step = "coffee" }, "step"},
		{"ErrEvidence", func(r *ward.OnboardingRecord) { r.Evidence = strings.Repeat("e", 501) }, "evidence"},
		{"ErrExpiresBeforeCompleted", func(r *ward.OnboardingRecord) { r.CompletedOn, r.ExpiresOn = &after, &before }, "expires_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &ward.OnboardingRecord{WorkerID: w.ID, Step: ward.StepDeviceEnrolled}
			tt.mod(r)
			wantField(t, e.Onboarding.CreateOnboardingRecord(e.ctx, r), tt.field)
		})
	}
	got, err := e.Onboarding.FindOnboardingRecords(e.ctx, w.ID)
	ok(t, err)
	if len(got) != 0 {
		t.Fatalf("records=%d, want 0", len(got))
	}
}

func testOnboardingFindEmpty(t *testing.T, e *env) {
	for _, id := range []string{e.person().ID, ward.NewID(ward.PrefixWorker, t0)} {
		got, err := e.Onboarding.FindOnboardingRecords(e.ctx, id)
		ok(t, err)
		if got == nil || len(got) != 0 {
			t.Fatalf("FindOnboardingRecords=%#v, want empty, non-nil", got)
		}
	}
}

// person creates a worker who needs no vendor (an administrator), for
// tests about the worker's own records.
func (e *env) person() *ward.Worker {
	e.t.Helper()
	return e.worker(nil, func(w *ward.Worker) { w.Role = ward.RoleAdmin })
}
