package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strings"
)

// Origin is where a request came from: the client's address, the vendor
// site whose egress range holds it (if any), its country ("" when
// unknown), and the device identity it presented ("" when none).
type Origin struct {
	Addr    netip.Addr
	Country string
	SiteID  string
	Device  string
}

// maxForwardedHops bounds the X-Forwarded-For entries walked through
// trusted proxies; a longer chain is refused rather than walked.
const maxForwardedHops = 32

// ClientAddr returns the address of the client that sent r. It is the TCP
// peer (r.RemoteAddr) unless the peer is one of trusted: then it is the
// right-most X-Forwarded-For address that is not itself a trusted proxy
// (or the left-most one when every entry is trusted). Addresses left of
// that are ignored, since anyone can write them. forwarded reports whether
// X-Forwarded-For was used.
//
// It returns an error for an unparsable peer address, and for an
// unparsable X-Forwarded-For entry that a trusted proxy vouches for: the
// chain is broken, so the client cannot be told and the request is
// refused rather than attributed to the proxy.
func ClientAddr(r *http.Request, trusted []netip.Prefix) (addr netip.Addr, forwarded bool, err error) {
	peer, ok := parseHostPort(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false, errOriginInvalid
	}
	if !contains(trusted, peer) {
		return peer, false, nil
	}
	xff := r.Header["X-Forwarded-For"]
	client, hops := peer, 0
	for i := len(xff) - 1; i >= 0; i-- {
		v := xff[i]
		for v != "" {
			item := v
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				item, v = v[j+1:], v[:j]
			} else {
				v = ""
			}
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if hops++; hops > maxForwardedHops {
				return netip.Addr{}, false, errOriginInvalid
			}
			a, ok := parseHostPort(item)
			if !ok {
				return netip.Addr{}, false, errOriginInvalid
			}
			client, forwarded = a, true
			if !contains(trusted, a) {
				return client, true, nil
			}
		}
	}
	return client, forwarded, nil
}

// hasForwarded reports whether r carries a non-empty X-Forwarded-For.
func hasForwarded(r *http.Request) bool {
	for _, v := range r.Header["X-Forwarded-For"] {
		if strings.TrimSpace(strings.ReplaceAll(v, ",", "")) != "" {
			return true
		}
	}
	return false
}

// parseHostPort parses "addr", "addr:port", "[v6]" or "[v6]:port",
// dropping any zone and unmapping IPv4-in-IPv6. It picks the parser by
// shape, so that the request path's usual "a.b.c.d:port" does not first
// fail (and allocate an error) as a bare address.
func parseHostPort(s string) (netip.Addr, bool) {
	var a netip.Addr
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		v, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !v.Is6() {
			return netip.Addr{}, false
		}
		a = v
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1:
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	default:
		v, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = v
	}
	return a.WithZone("").Unmap(), true
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxDeviceHeader bounds a gateway-asserted host identity.
const maxDeviceHeader = 190

// device returns the device identity r presents: its TLS client
// certificate's fingerprint, else the trusted gateway's header, else "".
// The header is ignored unless the TCP peer (not a forwarded address) is
// a trusted device gateway, since any client can set a header.
func (m *Manager) device(r *http.Request, memo *deviceMemo) (string, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		raw := r.TLS.PeerCertificates[0].Raw
		if memo != nil && memo.id != "" && string(memo.raw) == string(raw) {
			return memo.id, nil
		}
		sum := sha256.Sum256(raw)
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}
	if m.deviceKey == "" || len(m.cfg.TrustedDeviceGateways) == 0 {
		return "", nil
	}
	v, ok := r.Header[m.deviceKey]
	if !ok || len(v) == 0 {
		return "", nil
	}
	peer, ok := parseHostPort(r.RemoteAddr)
	if !ok || !contains(m.cfg.TrustedDeviceGateways, peer) {
		return "", nil
	}
	if len(v) != 1 || !validHostID(v[0]) {
		return "", errDeviceInvalid
	}
	if memo != nil && memo.header == v[0] {
		return memo.id, nil
	}
	return "vdi:" + v[0], nil
}

// deviceMemo remembers a session's last device so that the request path
// compares bytes instead of hashing a certificate on every request.
type deviceMemo struct {
	raw    []byte // certificate DER
	header string // gateway header value
	id     string
}

// validHostID accepts printable ASCII without spaces, at most
// maxDeviceHeader bytes: VDI host names and IDs.
func validHostID(s string) bool {
	if s == "" || len(s) > maxDeviceHeader {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
