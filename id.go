package ward

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// crockford is Crockford's base32 alphabet, as ULIDs use: no I, L, O or U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new identifier "prefix_" followed by a 26-character ULID
// (48-bit millisecond time, 80 random bits). IDs sort by creation time,
// which gives lists a stable order across replicas without coordination.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + 27)
	sb.WriteString(prefix)
	sb.WriteByte('_')
	// 128 bits as 26 base32 digits, most significant first (top 2 bits padded).
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		shift := uint(i * 5)
		var v uint64
		switch {
		case shift >= 64:
			v = hi >> (shift - 64)
		case shift+5 > 64:
			v = lo>>shift | hi<<(64-shift)
		default:
			v = lo >> shift
		}
		sb.WriteByte(crockford[v&31])
	}
	return sb.String()
}

// ID prefixes, one per entity.
const (
	PrefixOrganization = "org"
	PrefixVendor       = "ven"
	PrefixSite         = "site"
	PrefixTeam         = "team"
	PrefixWorker       = "wkr"
	PrefixSchedule     = "sch"
	PrefixQueue        = "que"
	PrefixTask         = "task"
	PrefixGrant        = "grt"
	PrefixSession      = "ses"
	PrefixAlert        = "alr"
	PrefixSubmission   = "sub"
)
