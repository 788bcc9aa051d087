package identity_test

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkAuthenticate measures session validation on a cache hit: the
// per-request cost of authentication. Compare it with
// BenchmarkAuthenticateBaseline, the least any bearer-token check does.
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	for _, bench := range []struct {
		name string
		req  func() *http.Request
	}{
		{"Direct", func() *http.Request { return request(siteAddr) }},
		{"ProxyAndDevice", func() *http.Request {
			return request(proxyAddr, "X-Forwarded-For", "198.51.100.1, "+siteAddr, "X-Ward-Device", "vdi-mnl-017")
		}},
		{"Geo", func() *http.Request { return request(phAddr) }},
	} {
		e.clock.Add(30 * time.Second) // a fresh TOTP step per login
		iss := e.login(b, "joy", bench.req())
		r := withToken(bench.req(), iss.Token)
		if _, err := e.m.Authenticate(r); err != nil {
			b.Fatal(err)
		}
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.m.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bench.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := withToken(bench.req(), iss.Token)
				for pb.Next() {
					if _, err := e.m.Authenticate(r); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

var sink [32]byte

// BenchmarkAuthenticateBaseline only reads the bearer token and hashes it.
func BenchmarkAuthenticateBaseline(b *testing.B) {
	r := withToken(request(siteAddr), "ward_s_"+strings.Repeat("A", 43))
	b.ReportAllocs()
	for b.Loop() {
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sink = sha256.Sum256([]byte(tok))
	}
}
