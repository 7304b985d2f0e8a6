package memory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// Snapshot file layout (little-endian):
//
//	magic "VIGILMS1" seq:u64
//	customers:uvarint  customers×(id:uvarint-prefixed blob:uvarint-prefixed)
//	terminals:uvarint  terminals×(id blob)
//	crc:u32            CRC-32C of everything before it
const (
	snapshotMagic = "VIGILMS1"
	snapshotName  = "snapshot"
)

// Snapshot writes the whole state to the snapshot file and deletes the log it covers. It
// seals the current log segment and starts the next one first, so changes go on while the
// file is written; the state is encoded under the write lock. It does nothing when nothing
// changed since the last snapshot, and fails when the state has no directory, is closed, or
// the file cannot be written (the previous snapshot and the log then stay as they were).
func (s *State) Snapshot(ctx context.Context) error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.syncMu.Lock()
	s.mu.Lock()
	if s.seg == nil {
		s.mu.Unlock()
		s.syncMu.Unlock()
		if s.closed {
			return ErrClosed
		}
		return errors.New("snapshot: the state has no directory")
	}
	if err := s.writable(); err != nil {
		s.mu.Unlock()
		s.syncMu.Unlock()
		return err
	}
	if s.seq == s.snapSeq {
		s.mu.Unlock()
		s.syncMu.Unlock()
		return nil
	}
	// Seal the segment and start the next, so the snapshot covers exactly the sealed ones.
	err := s.seg.close()
	if err == nil {
		s.seg, err = createSegment(s.opts.Dir, s.seq+1)
	}
	if err != nil {
		s.failed = fmt.Errorf("rotate feature state log: %w", err)
		s.mu.Unlock()
		s.syncMu.Unlock()
		return s.failed
	}
	seq := s.seq
	data := s.encodeSnapshot(seq)
	s.snapSize = 0
	s.mu.Unlock()
	s.syncMu.Unlock()

	if err := writeSnapshot(s.opts.Dir, data); err != nil {
		return fmt.Errorf("write feature state snapshot: %w", err)
	}
	s.mu.Lock()
	s.snapSeq = seq
	s.mu.Unlock()
	return removeSegments(s.opts.Dir, seq)
}

// encodeSnapshot encodes the state; the caller holds mu.
func (s *State) encodeSnapshot(seq uint64) []byte {
	b := make([]byte, 0, 64+(len(s.customers)+len(s.terminals))*512)
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.AppendUvarint(b, uint64(len(s.customers)))
	for id, c := range s.customers {
		b = appendString(b, id)
		b = appendBlob(b, c)
	}
	b = binary.AppendUvarint(b, uint64(len(s.terminals)))
	for id, t := range s.terminals {
		b = appendString(b, id)
		b = appendBlob(b, t)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

type appender interface{ AppendBinary([]byte) ([]byte, error) }

// appendBlob appends h's encoding prefixed by its length.
func appendBlob(b []byte, h appender) []byte {
	// Reserve the largest uvarint prefix, encode, then move the blob next to its real prefix.
	at := len(b)
	b = append(b, make([]byte, binary.MaxVarintLen64)...)
	b, _ = h.AppendBinary(b)
	n := len(b) - at - binary.MaxVarintLen64
	k := binary.PutUvarint(b[at:], uint64(n))
	copy(b[at+k:], b[at+binary.MaxVarintLen64:])
	return b[:at+k+n]
}

func writeSnapshot(dir string, data []byte) error {
	path := filepath.Join(dir, snapshotName)
	if err := renameio.WriteFile(path, data, 0o600, renameio.WithTempDir(dir)); err != nil {
		return err
	}
	return syncDir(dir) // the rename must be durable before the log it covers goes
}

// loadSnapshot reads the snapshot file into the (empty) state and returns the sequence
// number it covers; 0 when there is none.
func (s *State) loadSnapshot() (uint64, error) {
	path := filepath.Join(s.opts.Dir, snapshotName)
	data, err := os.ReadFile(path) // #nosec G304 -- our own directory
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	corrupt := func(why string) error { return fmt.Errorf("%w: %s: %s", ErrCorrupt, snapshotName, why) }
	if len(data) < len(snapshotMagic)+8+4 || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return 0, corrupt("not a vigil feature state snapshot")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return 0, corrupt("checksum mismatch")
	}
	p := body[len(snapshotMagic):]
	seq := binary.LittleEndian.Uint64(p)
	p = p[8:]
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return nil, false
		}
		v := p[k : k+int(n)]
		p = p[k+int(n):]
		return v, true
	}
	count := func() (int, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)) {
			return 0, false
		}
		p = p[k:]
		return int(n), true
	}
	n, ok := count()
	if !ok {
		return 0, corrupt("bad customer count")
	}
	for range n {
		id, ok1 := next()
		blob, ok2 := next()
		if !ok1 || !ok2 {
			return 0, corrupt("truncated customer")
		}
		c := new(window.Customer)
		if err := c.UnmarshalBinary(blob); err != nil {
			return 0, corrupt(err.Error())
		}
		s.customers[string(id)] = c
	}
	if n, ok = count(); !ok {
		return 0, corrupt("bad terminal count")
	}
	for range n {
		id, ok1 := next()
		blob, ok2 := next()
		if !ok1 || !ok2 {
			return 0, corrupt("truncated terminal")
		}
		t := new(window.Terminal)
		if err := t.UnmarshalBinary(blob); err != nil {
			return 0, corrupt(err.Error())
		}
		s.terminals[string(id)] = t
	}
	if len(p) != 0 {
		return 0, corrupt("trailing bytes")
	}
	return seq, nil
}

// segments lists the log segments of dir by first sequence number.
func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var starts []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "log-")
		if !ok || e.IsDir() {
			continue
		}
		start, err := strconv.ParseUint(name, 10, 64)
		if err != nil || segmentName(start) != e.Name() {
			continue
		}
		starts = append(starts, start)
	}
	slices.Sort(starts)
	return starts, nil
}

// removeSegments deletes the segments whose records are all at or before seq: those that
// start at or before it, since a snapshot always starts a new segment at seq+1.
func removeSegments(dir string, seq uint64) error {
	starts, err := segments(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range starts {
		if st <= seq {
			errs = append(errs, os.Remove(filepath.Join(dir, segmentName(st))))
		}
	}
	return errors.Join(errs...)
}

// recover loads the snapshot, replays the log after it, and opens the log for appending.
func (s *State) recover() error {
	dir := s.opts.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	seq, err := s.loadSnapshot()
	if err != nil {
		return err
	}
	s.seq, s.snapSeq = seq, seq
	starts, err := segments(dir)
	if err != nil {
		return err
	}
	// Segments wholly covered by the snapshot (a crash between snapshot and deletion) are
	// skipped: the snapshot has them. Each other one must run on from the previous.
	var live []uint64
	for i, st := range starts {
		if i+1 < len(starts) && starts[i+1] <= seq+1 {
			continue
		}
		live = append(live, st)
	}
	for i, st := range live {
		path := filepath.Join(dir, segmentName(st))
		if st > s.seq+1 {
			return fmt.Errorf("%w: %s: operations %d to %d are missing", ErrCorrupt, segmentName(st), s.seq+1, st-1)
		}
		size, err := s.replaySegment(path, st)
		var torn errTorn
		if errors.As(err, &torn) {
			if i < len(live)-1 {
				return fmt.Errorf("%w: %s: %v in a sealed segment", ErrCorrupt, segmentName(st), torn)
			}
			s.opts.Logger.Warn("feature state: dropped a torn record at the end of the log",
				"file", segmentName(st), "offset", torn.off)
			err = nil
		}
		if err != nil {
			return err
		}
		if i == len(live)-1 {
			if s.seg, err = openSegment(path, st, size); err != nil {
				return err
			}
			s.snapSize = size
		}
	}
	if s.seg == nil {
		if s.seg, err = createSegment(dir, s.seq+1); err != nil {
			return err
		}
	}
	return removeSegments(dir, s.snapSeq)
}
