package ledger

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"
)

// HistorySuffix is appended to a signer key's path to name the file of
// retired verifier keys that RotateKey keeps: one "name+hash+key" per line.
const HistorySuffix = ".pub-history"

// LoadOrCreateKey returns the checkpoint signer kept in the file at path,
// and its verifier. The file holds one signer key as note.GenerateKey
// writes it ("PRIVATE+KEY+name+hash+key"). If the file does not exist, a
// new Ed25519 key named name is generated and written with mode 0600 (its
// directory is created with 0700). An existing file that group or others
// may read is refused, as is one whose key is named other than name (use
// RotateKey to change the name). By the C2SP convention, name is usually
// the log's origin.
//
// Two processes creating the same key at once end up with the same key:
// the file is created without replacing one that appeared meanwhile.
func LoadOrCreateKey(path, name string) (note.Signer, note.Verifier, error) {
	if !validKeyName(name) {
		return nil, nil, fmt.Errorf("ledger key name %q: want a non-empty name without spaces or '+'", name)
	}
	s, v, err := loadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path, name, false); err != nil {
			return nil, nil, err
		}
		s, v, err = loadKey(path)
	}
	if err != nil {
		return nil, nil, err
	}
	if s.Name() != name {
		return nil, nil, fmt.Errorf("ledger key %s is named %q, not %q; rotate the key to change its name", path, s.Name(), name)
	}
	return s, v, nil
}

// RotateKey replaces the signer key at path with a new Ed25519 key named
// name and returns it. The old key's verifier key is first appended to
// path+HistorySuffix, so that PublicKeys and VerifierSet still include it
// and checkpoints signed with it stay verifiable. If no key exists yet,
// RotateKey creates one.
func RotateKey(path, name string) (note.Signer, note.Verifier, error) {
	if !validKeyName(name) {
		return nil, nil, fmt.Errorf("ledger key name %q: want a non-empty name without spaces or '+'", name)
	}
	old, err := readKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, err
	default:
		vkey, err := verifierKey(old)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger key %s: %w", path, err)
		}
		// Record the old key before replacing it: a crash in between
		// leaves the old key in use and listed twice, which is harmless.
		if err := appendLine(path+HistorySuffix, vkey); err != nil {
			return nil, nil, err
		}
	}
	if err := createKey(path, name, true); err != nil {
		return nil, nil, err
	}
	return loadKey(path)
}

// PublicKeys returns the verifier keys ("name+hash+key") of the signer key
// at path: the current key first, then every retired key in the order
// they were retired.
func PublicKeys(path string) ([]string, error) {
	skey, err := readKey(path)
	if err != nil {
		return nil, err
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	keys := []string{vkey}
	data, err := os.ReadFile(path + HistorySuffix)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ledger key history: %w", err)
	}
	old, err := ParseVerifierKeys(data)
	if err != nil {
		return nil, fmt.Errorf("ledger key history %s: %w", path+HistorySuffix, err)
	}
	return dedupe(append(keys, old...)), nil
}

// VerifierSet returns verifiers for every key the signer key file at path
// has ever held (PublicKeys).
func VerifierSet(path string) (note.Verifiers, error) {
	keys, err := PublicKeys(path)
	if err != nil {
		return nil, err
	}
	return Verifiers(keys...)
}

// Verifiers returns note.Verifiers for the verifier keys vkeys
// ("name+hash+key"); duplicates are ignored.
func Verifiers(vkeys ...string) (note.Verifiers, error) {
	var list []note.Verifier
	for _, k := range dedupe(vkeys) {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		list = append(list, v)
	}
	if len(list) == 0 {
		return nil, errors.New("no verifier keys")
	}
	return note.VerifierList(list...), nil
}

// ParseVerifierKeys parses a file of verifier keys: one "name+hash+key"
// per line; blank lines and lines starting with '#' are ignored. It checks
// that each key is well formed.
func ParseVerifierKeys(data []byte) ([]string, error) {
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := note.NewVerifier(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		keys = append(keys, line)
	}
	return keys, sc.Err()
}

func dedupe(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func validKeyName(name string) bool {
	return name != "" && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// loadKey reads the signer key at path and returns it with its verifier.
func loadKey(path string) (note.Signer, note.Verifier, error) {
	skey, err := readKey(path)
	if err != nil {
		return nil, nil, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	return s, v, nil
}

// readKey reads the signer key text at path, refusing a file that group
// or others may read.
func readKey(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	// Windows has no such permission bits; elsewhere a private key that
	// others can read is as good as published.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("ledger key %s has mode %04o: group or others may read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// verifierKey derives the verifier key of the Ed25519 signer key skey.
func verifierKey(skey string) (string, error) {
	if _, err := note.NewSigner(skey); err != nil {
		return "", err
	}
	// PRIVATE+KEY+name+hash+base64(0x01 || seed); NewSigner checked it.
	parts := strings.SplitN(skey, "+", 5)
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// createKey writes a new signer key named name to path with mode 0600.
// The key goes to a temporary file first, so that path never holds a
// partial key. With replace unset, an existing path is left alone (the
// caller then loads it); with replace set, the new key takes its place.
func createKey(path, name string, replace bool) error {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return fmt.Errorf("generate ledger key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ledger key: %w", err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("ledger key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	// CreateTemp uses 0600 already; say so for the reader.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("ledger key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("ledger key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger key: %w", err)
	}
	if replace {
		err = os.Rename(tmp, path)
	} else if err = os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		err = nil // created meanwhile by another process: use that one
	}
	if err != nil {
		return fmt.Errorf("ledger key: %w", err)
	}
	return syncDir(dir)
}

// appendLine appends line to the file at path, creating it, and syncs it.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("ledger key history: %w", err)
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("ledger key history: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger key history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger key history: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
