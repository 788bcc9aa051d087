package sso_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/sso"
)

// FuzzFinishState feeds arbitrary state cookies to Finish: each is refused
// as a state mismatch before the provider is contacted, never a panic.
func FuzzFinishState(f *testing.F) {
	m := startOP(f, nil)
	p := newProvider(f, m, &clock{time.Now()})
	_, cookie, err := p.Begin()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cookie[:len(cookie)-1])
	f.Add(cookie + "A")
	f.Add("")
	f.Add("not base64 !")
	f.Fuzz(func(t *testing.T, state string) {
		_, err := p.Finish(context.Background(), state, "state", "code")
		if ward.ErrorCode(err) != ward.EUNAUTHORIZED || sso.Reason(err) != sso.ReasonStateMismatch {
			t.Fatalf("Finish(%q): %v, reason %q", state, err, sso.Reason(err))
		}
	})
}
