package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the body of a signed checkpoint in the C2SP tlog-checkpoint
// format:
//
//	<origin>\n
//	<size, decimal>\n
//	<root hash, standard base64>\n
//
// optionally followed by extension lines, which ward does not write and
// ignores when reading.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Text returns the checkpoint body, the text that is signed.
func (c *Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// ParseCheckpoint parses a checkpoint body (the text of a note, without
// its signatures). It does not check signatures: see OpenCheckpoint.
func ParseCheckpoint(text string) (*Checkpoint, error) {
	c, err := parseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}

func parseCheckpoint(text string) (*Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return nil, errors.New("want origin, size and root lines")
	}
	c := &Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return nil, errors.New("empty origin")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return nil, fmt.Errorf("size %q is not a decimal number", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return nil, fmt.Errorf("root %q is not a base64 SHA-256 hash", lines[2])
	}
	c.Root = root
	return c, nil
}

// OpenCheckpoint checks the signatures of the signed checkpoint msg with
// verifiers (note.Open: at least one signature by a known key, and no
// invalid signature by a known key) and returns its body.
func OpenCheckpoint(msg []byte, verifiers note.Verifiers) (*Checkpoint, error) {
	c, err := openCheckpoint(msg, verifiers)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}

func openCheckpoint(msg []byte, verifiers note.Verifiers) (*Checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, errors.New("not signed by a trusted key")
		}
		return nil, err
	}
	return parseCheckpoint(n.Text)
}

// signCheckpoint returns the signed note of c.
func signCheckpoint(c *Checkpoint, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: c.Text()}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// noteText returns the text of the signed note msg, without checking its
// signatures: the part before the blank line that starts the signatures.
func noteText(msg []byte) (string, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("not a signed note")
	}
	return string(msg[:i+1]), nil
}

// readWitness reads the witness checkpoint at path; nil if there is none
// yet. Its signature is not checked here (Verify does that).
func readWitness(path string) (*Checkpoint, error) {
	msg, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("witness checkpoint: %w", err)
	}
	text, err := noteText(msg)
	if err != nil {
		return nil, fmt.Errorf("witness checkpoint %s: %w", path, err)
	}
	c, err := parseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("witness checkpoint %s: %w", path, err)
	}
	return c, nil
}

// writeWitness replaces the file at path with msg, durably.
func writeWitness(path string, msg []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(msg); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}
