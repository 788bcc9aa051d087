package identity_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wardhq/ward/identity"
)

func TestHashPassword(t *testing.T) {
	h := passwordHash()
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if ok, err := identity.CheckPassword(h, password); err != nil || !ok {
		t.Fatalf("CheckPassword(right)=%v, %v, want true", ok, err)
	}
	if ok, err := identity.CheckPassword(h, password+" "); err != nil || ok {
		t.Fatalf("CheckPassword(wrong)=%v, %v, want false", ok, err)
	}
	h2, err := identity.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestCheckPassword_ErrMalformed(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, test := range []struct{ name, hash string }{
		{"Empty", ""},
		{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"Argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"OldVersion", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"MissingParam", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key},
		{"ParamOrder", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"HugeMemory", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"HugeTime", "$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key},
		{"ZeroThreads", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"NegativeMemory", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key},
		{"ShortSalt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key},
		{"ShortKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5"},
		{"BadBase64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$!!!!"},
		{"ExtraField", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$x"},
	} {
		t.Run(test.name, func(t *testing.T) {
			if ok, err := identity.CheckPassword(test.hash, password); err == nil || ok {
				t.Fatalf("CheckPassword=%v, %v, want false and an error", ok, err)
			}
		})
	}
}

var (
	cheap  = regexp.MustCompile(`m=[0-9]{1,3},`)
	costly = regexp.MustCompile(`m=[0-9]{4,}`)
)

// FuzzCheckPassword feeds arbitrary stored hashes: an error or an answer,
// never a crash or an unbounded computation.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, hash string) {
		// Keep the fuzzer fast: only cheap memory parameters reach argon2.
		if cheap.FindAllString(hash, -1) == nil && strings.Contains(hash, "m=") || costly.MatchString(hash) {
			return
		}
		identity.CheckPassword(hash, "pw")
	})
}
