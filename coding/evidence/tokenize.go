package evidence

// Tokens are runs of letters and digits (bytes >= 0x80 count as letters, so
// UTF-8 words stay whole; an apostrophe between letters stays inside the
// word). Everything else separates tokens. Each token carries two hashes:
// raw, the FNV-1a hash of its lower-cased bytes, which trigger phrases are
// matched on; and norm, the hash of a light stem (plural -s, -ies, 's),
// which concept phrases are matched on. Hashing instead of building strings
// keeps parsing free of per-token allocations.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// wordEnd returns the end of the word that starts at i.
func wordEnd(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		if isWordByte(c) {
			j++
			continue
		}
		if c == '\'' && j > i && j+1 < len(s) && isLetter(s[j-1]) && isLetter(s[j+1]) {
			j++
			continue
		}
		break
	}
	return j
}

// hashWord returns the raw and stemmed hashes of s[i:j].
func hashWord(s string, i, j int) (raw, norm uint64) {
	raw = fnvOffset
	for k := i; k < j; k++ {
		raw ^= uint64(lower(s[k]))
		raw *= fnvPrime
	}
	var buf [48]byte
	n := j - i
	if n > len(buf) {
		return raw, raw
	}
	for k := 0; k < n; k++ {
		buf[k] = lower(s[i+k])
	}
	w := stem(buf[:n])
	if len(w) == n {
		return raw, raw
	}
	norm = fnvOffset
	for _, c := range w {
		norm ^= uint64(c)
		norm *= fnvPrime
	}
	return raw, norm
}

// stem removes a possessive 's and plural endings from a lower-case word:
// "patient's" → "patient", "arteries" → "artery", "lesions" → "lesion".
// Words ending in -ss, -us or -is keep their s ("sinus", "stenosis").
func stem(w []byte) []byte {
	n := len(w)
	if n > 2 && w[n-2] == '\'' && w[n-1] == 's' {
		return w[:n-2]
	}
	if n > 4 && w[n-3] == 'i' && w[n-2] == 'e' && w[n-1] == 's' {
		w[n-3] = 'y'
		return w[:n-2]
	}
	if n > 3 && w[n-1] == 's' {
		switch w[n-2] {
		case 's', 'u', 'i', '\'':
			return w
		}
		return w[:n-1]
	}
	return w
}

// stemHash returns the stemmed hash of a single word, as concept phrases
// match it.
func stemHash(w string) uint64 {
	_, norm := hashWord(w, 0, len(w))
	return norm
}
