package ledger_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
	"golang.org/x/mod/sumdb/note"
)

func TestLoadOrCreateKey(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keys", "ledger.key")
		s1, v1, err := ledger.LoadOrCreateKey(path, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode=%04o, want 0600", fi.Mode().Perm())
		}
		data, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(data), "PRIVATE+KEY+"+testOrigin+"+") {
			t.Fatalf("key file=%q", data)
		}
		s2, v2, err := ledger.LoadOrCreateKey(path, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if s1.KeyHash() != s2.KeyHash() || v1.KeyHash() != v2.KeyHash() || s1.Name() != v1.Name() {
			t.Fatal("second load returned a different key")
		}
		msg, err := note.Sign(&note.Note{Text: "hello\n"}, s2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open(msg, note.VerifierList(v1)); err != nil {
			t.Fatalf("signature of the loaded key does not verify: %v", err)
		}
		keys, err := ledger.PublicKeys(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || !strings.HasPrefix(keys[0], testOrigin+"+") {
			t.Fatalf("PublicKeys=%q", keys)
		}
	})

	t.Run("ErrReadableByOthers", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no Unix permissions")
		}
		path := filepath.Join(t.TempDir(), "ledger.key")
		if _, _, err := ledger.LoadOrCreateKey(path, testOrigin); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ledger.LoadOrCreateKey(path, testOrigin); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("LoadOrCreateKey=%v, want a refusal", err)
		}
	})

	t.Run("ErrName", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.key")
		if _, _, err := ledger.LoadOrCreateKey(path, "bad name"); err == nil {
			t.Fatal("accepted a name with a space")
		}
		if _, _, err := ledger.LoadOrCreateKey(path, testOrigin); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ledger.LoadOrCreateKey(path, "other.example/log"); err == nil {
			t.Fatal("loaded a key under another name")
		}
	})

	t.Run("ErrGarbage", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.key")
		if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ledger.LoadOrCreateKey(path, testOrigin); err == nil {
			t.Fatal("accepted garbage")
		}
	})
}

// TestRotateKey signs checkpoints with a key, rotates it, signs more, and
// checks that every checkpoint still verifies with VerifierSet.
func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.key")
	store := memstore.New()

	s1, _, err := ledger.LoadOrCreateKey(path, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, store, s1, ledger.Options{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 10)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	s2, _, err := ledger.RotateKey(path, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if s2.KeyHash() == s1.KeyHash() {
		t.Fatal("RotateKey kept the key")
	}
	l, err = ledger.Open(ctx, store, s2, ledger.Options{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 10, 10)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	keys, err := ledger.PublicKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("PublicKeys=%q, want the new and the old key", keys)
	}
	history, err := os.ReadFile(path + ledger.HistorySuffix)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(history)) != keys[1] {
		t.Fatalf("history=%q, want %q", history, keys[1])
	}

	all, err := ledger.VerifierSet(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, store, all); rep.Checkpoints != 2 {
		t.Fatalf("Checkpoints=%d, want 2", rep.Checkpoints)
	}
	// The current key alone cannot vouch for the old checkpoint.
	current, err := ledger.Verifiers(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(ctx, store, current, nil); err == nil {
		t.Fatal("Verify with the current key only accepted the old checkpoint")
	}

	// A verifier key file for an auditor: comments, blanks, duplicates.
	file := "# ward audit pubkey\n" + keys[0] + "\n\n" + keys[1] + "\n" + keys[1] + "\n"
	parsed, err := ledger.ParseVerifierKeys([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ledger.Verifiers(parsed...)
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, store, v)

	if _, err := ledger.ParseVerifierKeys([]byte("garbage+key\n")); err == nil {
		t.Fatal("ParseVerifierKeys accepted garbage")
	}
	if _, err := ledger.Verifiers(); err == nil {
		t.Fatal("Verifiers accepted no keys")
	}
}
