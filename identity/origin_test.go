package identity_test

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/wardhq/ward/identity"
)

var trusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func TestClientAddr(t *testing.T) {
	for _, test := range []struct {
		name      string
		remote    string
		xff       []string
		want      string // "" for an error
		forwarded bool
	}{
		{name: "PeerOnly", remote: "203.0.113.5:4000", want: "203.0.113.5"},
		{name: "PeerWithoutPort", remote: "203.0.113.5", want: "203.0.113.5"},
		{name: "PeerIPv6", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "PeerIPv4Mapped", remote: "[::ffff:203.0.113.5]:443", want: "203.0.113.5"},
		{name: "PeerZone", remote: "[fe80::1%eth0]:443", want: "fe80::1"},
		{name: "SpoofedFromUntrustedPeer", remote: "192.0.2.9:4000", xff: []string{"203.0.113.5"}, want: "192.0.2.9"},
		{name: "TrustedProxy", remote: "10.0.0.2:4000", xff: []string{"203.0.113.5"}, want: "203.0.113.5", forwarded: true},
		{name: "TrustedProxyNoHeader", remote: "10.0.0.2:4000", want: "10.0.0.2"},
		{name: "TrustedProxyEmptyHeader", remote: "10.0.0.2:4000", xff: []string{" , "}, want: "10.0.0.2"},
		{name: "ClientSpoofsLeftPart", remote: "10.0.0.2:4000", xff: []string{"198.51.100.1, 203.0.113.5"}, want: "203.0.113.5", forwarded: true},
		{name: "ClientSpoofsTrustedAddress", remote: "10.0.0.2:4000", xff: []string{"10.9.9.9, 203.0.113.5"}, want: "203.0.113.5", forwarded: true},
		{name: "ProxyChain", remote: "10.0.0.2:4000", xff: []string{"203.0.113.5, 10.1.1.1, 10.2.2.2"}, want: "203.0.113.5", forwarded: true},
		{name: "ProxyChainSeveralHeaders", remote: "10.0.0.2:4000", xff: []string{"198.51.100.1", "203.0.113.5, 10.1.1.1", "10.2.2.2"}, want: "203.0.113.5", forwarded: true},
		{name: "AllTrusted", remote: "10.0.0.2:4000", xff: []string{"10.3.3.3, 10.1.1.1"}, want: "10.3.3.3", forwarded: true},
		{name: "EntryWithPort", remote: "10.0.0.2:4000", xff: []string{"203.0.113.5:5555"}, want: "203.0.113.5", forwarded: true},
		{name: "EntryIPv6Bracketed", remote: "[::1]:4000", xff: []string{"[2001:db8::7]"}, want: "2001:db8::7", forwarded: true},
		{name: "EntryIPv6", remote: "[::1]:4000", xff: []string{"2001:db8::7"}, want: "2001:db8::7", forwarded: true},
		{name: "GarbageLeftOfClientIgnored", remote: "10.0.0.2:4000", xff: []string{"not-an-ip, 203.0.113.5"}, want: "203.0.113.5", forwarded: true},
		{name: "ErrGarbageFromProxy", remote: "10.0.0.2:4000", xff: []string{"203.0.113.5, unknown"}},
		{name: "ErrBadPeer", remote: "somewhere"},
		{name: "ErrEmptyPeer", remote: ""},
		{name: "ErrTooManyHops", remote: "10.0.0.2:4000", xff: []string{strings.Repeat("10.1.1.1, ", 40) + "10.1.1.1"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = test.remote
			for _, v := range test.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, fwd, err := identity.ClientAddr(r, trusted)
			if test.want == "" {
				if err == nil {
					t.Fatalf("ClientAddr=%v, want error", got)
				}
				if identity.Reason(err) != identity.ReasonOriginInvalid {
					t.Fatalf("Reason=%q, want origin_invalid", identity.Reason(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != test.want || fwd != test.forwarded {
				t.Fatalf("ClientAddr=%v, %v, want %s, %v", got, fwd, test.want, test.forwarded)
			}
		})
	}
}

// FuzzClientAddr checks that any peer address and X-Forwarded-For give
// an answer or an error, never a crash, and that an untrusted peer's
// header never changes the answer.
func FuzzClientAddr(f *testing.F) {
	f.Add("203.0.113.5:4000", "")
	f.Add("10.0.0.2:4000", "198.51.100.1, 203.0.113.5")
	f.Add("[::1]:4000", "[2001:db8::7]:80, 10.1.1.1")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got, fwd, err := identity.ClientAddr(r, trusted)
		if err != nil {
			return
		}
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientAddr=%v: not a plain address", got)
		}
		r.Header.Del("X-Forwarded-For")
		peer, _, err := identity.ClientAddr(r, trusted)
		if err != nil {
			t.Fatalf("peer alone: %v", err)
		}
		trustedPeer := false
		for _, p := range trusted {
			trustedPeer = trustedPeer || p.Contains(peer)
		}
		if !trustedPeer && (got != peer || fwd) {
			t.Fatalf("untrusted peer %v: ClientAddr=%v, forwarded %v", peer, got, fwd)
		}
		if fwd && !strings.Contains(xff, strings.Trim(got.String(), "[]")) && !strings.Contains(strings.ToLower(xff), got.String()) {
			// The address came from the header; it must be spelled there in
			// some form (netip normalises IPv6, so allow that).
			if got.Is4() {
				t.Fatalf("forwarded %v not in header %q", got, xff)
			}
		}
	})
}
