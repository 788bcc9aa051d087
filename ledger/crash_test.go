package ledger_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/store/sqlite"
)

// crashDirEnv tells the re-executed test binary to run the crash child.
const crashDirEnv = "WARD_LEDGER_CRASH_DIR"

// crashAcks is how many acknowledged appends the parent waits for before
// it kills the child.
const crashAcks = 3000

// TestCrash runs a child process that appends to a SQLite file from
// several goroutines and prints every index Audit acknowledged, kills it
// with SIGKILL mid-stream, and checks that every acknowledged event is in
// the reopened ledger, intact, and that Verify passes.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	// Read acks: "ack <index> <event>" per line. A line cut short by the
	// kill has no newline and is not an ack.
	acks := make(map[uint64]int)
	r := bufio.NewReader(out)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		var index uint64
		var event int
		if _, err := fmt.Sscanf(line, "ack %d %d\n", &index, &event); err != nil {
			if strings.HasPrefix(line, "ack ") {
				t.Fatalf("bad ack %q: %v", line, err)
			}
			continue // test framework output
		}
		if prev, ok := acks[index]; ok {
			t.Fatalf("index %d acknowledged for events %d and %d", index, prev, event)
		}
		acks[index] = event
		if !killed && len(acks) >= crashAcks {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acks: %v", len(acks), err)
	}
	t.Logf("child killed after %d acknowledged appends", len(acks))

	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(dir, "ward.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := db.Ledger()
	for index, event := range acks {
		e, err := ledger.ReadEntry(ctx, store, index)
		if err != nil {
			t.Fatalf("acknowledged entry %d: %v", index, err)
		}
		if diff := cmp.Diff(testEvent(event), e.Event); diff != "" {
			t.Fatalf("acknowledged entry %d is not event %d (-want +got):\n%s", index, event, diff)
		}
	}
	v, err := ledger.VerifierSet(filepath.Join(dir, "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, store, v)
	t.Logf("after the crash: %d entries (%d acknowledged), %d checkpoints", rep.Size, len(acks), rep.Checkpoints)

	// The ledger carries on: it opens, appends after the last entry and
	// signs a checkpoint covering everything.
	signer, _, err := ledger.LoadOrCreateKey(filepath.Join(dir, "ledger.key"), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, store, signer, ledger.Options{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := l.Audit(ctx, testEvent(99_999_999))
	if err != nil {
		t.Fatal(err)
	}
	if idx != rep.Size {
		t.Fatalf("index after restart=%d, want %d", idx, rep.Size)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, store, v); rep.Latest == nil || rep.Latest.Size != idx+1 {
		t.Fatalf("after restart: %+v", rep)
	}
}

// TestCrashChild is the child of TestCrash: it appends until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(dir, "ward.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	signer, _, err := ledger.LoadOrCreateKey(filepath.Join(dir, "ledger.key"), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints every few milliseconds, so that the kill may land in
	// one.
	l, err := ledger.Open(ctx, db.Ledger(), signer, ledger.Options{Origin: testOrigin, CheckpointInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // one write per line
	const workers = 16
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Minute) // in case the parent is gone
	for w := range workers {
		wg.Go(func() {
			for j := 0; time.Now().Before(deadline); j++ {
				event := w*10_000_000 + j
				index, err := l.Audit(ctx, testEvent(event))
				if err != nil {
					t.Error(err)
					return
				}
				line := "ack " + strconv.FormatUint(index, 10) + " " + strconv.Itoa(event) + "\n"
				mu.Lock()
				_, err = os.Stdout.WriteString(line)
				mu.Unlock()
				if err != nil && !errors.Is(err, os.ErrClosed) {
					return
				}
			}
		})
	}
	wg.Wait()
	t.Error("not killed within a minute")
}
