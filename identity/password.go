package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/wardhq/ward"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: OWASP's minimum recommendation
// (19 MiB, two passes, one lane). Hashes record their parameters, so these
// can be raised later without invalidating stored hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on parameters read from a stored hash, so that a corrupted or
// hostile hash cannot make one verification take gigabytes or minutes.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 20
)

// MinPasswordLength and MaxPasswordLength bound a new password, in bytes
// for the maximum (hashing cost) and in characters for the minimum.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id hash of pw as a PHC string:
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded standard base64).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash is returned for a stored hash that is not an argon2id PHC
// string this package can verify.
var errBadHash = errors.New("malformed argon2id password hash")

// CheckPassword reports whether pw matches hash, in constant time with
// respect to the hash. It returns an error (and false) when hash is not a
// well-formed argon2id PHC string with sane parameters.
func CheckPassword(hash, pw string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parsePHC(s string) (phc, error) {
	var p phc
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, errBadHash
	}
	var m, t, th uint64
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return p, errBadHash
	}
	for i, dst := range []*uint64{&m, &t, &th} {
		name, val, ok := strings.Cut(params[i], "=")
		if !ok || name != "mtp"[i:i+1] {
			return p, errBadHash
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return p, errBadHash
		}
		*dst = n
	}
	if th < 1 || th > 255 || t < 1 || t > maxArgonTime || m < 8*th || m > maxArgonMemory {
		return p, errBadHash
	}
	salt, err := b64.DecodeString(f[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, errBadHash
	}
	key, err := b64.DecodeString(f[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, errBadHash
	}
	return phc{memory: uint32(m), time: uint32(t), threads: uint8(th), salt: salt, key: key}, nil
}

// dummyHash is verified against when there is no real hash (an unknown
// username, a worker without a password), so that such a login takes as
// long as a real one and timing does not tell which usernames exist.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("ward-dummy-password-never-matches")
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return h
})

// checkPasswordPolicy returns an EINVALID error naming password when pw is
// not acceptable for a worker with the given username.
func checkPasswordPolicy(username, pw string) error {
	if len([]rune(pw)) < MinPasswordLength {
		return ward.FieldErrorf("password", "A password must be at least %d characters long.", MinPasswordLength)
	}
	if len(pw) > MaxPasswordLength {
		return ward.FieldErrorf("password", "A password must be at most %d bytes long.", MaxPasswordLength)
	}
	if strings.EqualFold(strings.TrimSpace(pw), username) {
		return ward.FieldErrorf("password", "A password must not be the username.")
	}
	return nil
}
