package ward

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet, as ULIDs use: no I, L, O or U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idState makes IDs from one process strictly increasing: within one
// millisecond the random part is incremented rather than redrawn, as ULID's
// monotonic mode does.
var idState struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// NewID returns a new identifier "prefix_" followed by a 26-character ULID
// (48-bit millisecond time, 80 random bits). IDs from one process are
// strictly increasing, so lists ordered by ID are in creation order; across
// replicas the order holds to the millisecond.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	idState.Lock()
	if ms <= idState.ms {
		// Same millisecond (or a clock step back): keep the last time and
		// increment the random part.
		ms = idState.ms
		for i := len(idState.rand) - 1; i >= 0; i-- {
			idState.rand[i]++
			if idState.rand[i] != 0 {
				break
			}
		}
	} else {
		idState.ms = ms
		if _, err := rand.Read(idState.rand[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		idState.rand[0] &= 0x7f // leave room to increment without overflow
	}
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	copy(b[6:], idState.rand[:])
	idState.Unlock()

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
	PrefixDevice       = "dev"
	PrefixAPIToken     = "tok"
	PrefixOnboarding   = "onb"
)
