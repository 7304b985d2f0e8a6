package memory

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// records frames the payloads in data as log records: each payload is preceded in data by
// one byte giving its length. The fuzzer so writes any sequence of well-framed records,
// which reach the decoder (a random byte string would rarely pass the checksum).
func records(data []byte) []byte {
	var out []byte
	for len(data) > 0 {
		n := min(int(data[0]), len(data)-1)
		payload := data[1 : 1+n]
		data = data[1+n:]
		b := make([]byte, recordHeader, recordHeader+len(payload))
		out = append(out, endRecord(append(b, payload...))...)
	}
	return out
}

// payloads turns encoded records back into the input records takes (seed corpus).
func payloads(recs ...[]byte) []byte {
	var data []byte
	for _, r := range recs {
		p := r[recordHeader:]
		data = append(append(data, byte(len(p))), p...)
	}
	return data
}

// FuzzReplay writes fuzzed records as the log of a state directory and opens it: recovery
// must never panic, must refuse what it cannot apply with ErrCorrupt, and a state it
// accepts must recover to the same state again after a clean close.
func FuzzReplay(f *testing.F) {
	o := window.Observation{Time: 1_700_000_000, Cents: 4250, IDHash: 7, TerminalHash: 9, DeviceHash: 3,
		Country: [2]byte{'F', 'R'}, Customer: "c-1", Terminal: "t-1"}
	f.Add(payloads(encodeObserve(nil, 1, &o)))
	f.Add(payloads(encodeObserve(nil, 1, &o), encodeLabel(nil, 2, &o, true), encodeSweepOne(nil, 3, 1_800_000_000, sweptTerminal, "t-1"),
		encodeSweepOne(nil, 4, 1_800_000_000, sweptCustomer, "c-1"), encodeSweep(nil, 5, 1_900_000_000), encodeErase(nil, 6, "c-1")))
	f.Add(payloads(encodeObserve(nil, 1, &o), encodeObserve(nil, 3, &o)))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s := openFuzzed(t, dir, segmentName(1), records(data))
		if s == nil {
			return
		}
		want, seq := dump(s), s.Stats().Seq
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("reopening an accepted state: %v", err)
		}
		defer again.Close()
		if !maps.Equal(dump(again), want) || again.Stats().Seq != seq {
			t.Fatalf("reopened: not the state accepted (sequence number %d, want %d)", again.Stats().Seq, seq)
		}
	})
}

// openFuzzed writes data as the file name of a new state directory dir and opens it. It
// returns nil when Open refuses the file with ErrCorrupt and fails the test on any other
// error.
func openFuzzed(t *testing.T, dir, name string, data []byte) *State {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want nil or ErrCorrupt", err)
		}
		return nil
	}
	return s
}

// FuzzSnapshot writes a fuzzed snapshot body (with a valid checksum appended, so the body
// reaches the decoder) and opens the directory: never a panic, and ErrCorrupt for what it
// cannot read.
func FuzzSnapshot(f *testing.F) {
	ref, err := Open(Options{})
	if err != nil {
		f.Fatal(err)
	}
	o := window.Observation{Time: 1_700_000_000, Cents: 4250, IDHash: 7, TerminalHash: 9, Customer: "c-1", Terminal: "t-1"}
	ref.mu.Lock()
	ref.observe(&o)
	ref.mu.Unlock()
	full := ref.encodeSnapshot(0)
	f.Add(full[:len(full)-4])
	v1 := encodeSnapshotV1(ref)
	f.Add(v1[:len(v1)-4])
	f.Add(append([]byte(snapshotMagic), make([]byte, 9)...)) // start 0, then the end at once
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
		if s := openFuzzed(t, t.TempDir(), snapshotName, data); s != nil {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
