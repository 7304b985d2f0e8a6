package memory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// Snapshot file layout (little-endian), version 2:
//
//	magic "VIGILMS2" start:u64
//	histories×(kind:u8 id:uvarint-prefixed after:uvarint blob:uvarint-prefixed)
//	kind 0             the end
//	crc:u32            CRC-32C of everything before it
//
// kind is 1 for a customer, 2 for a terminal. A snapshot holds every operation up to start,
// and each history also the operations up to start+after: the histories are encoded in
// chunks while the state goes on changing (see Snapshot), and recovery replays the log after
// start, skipping for each history the operations it already holds. A history deleted and
// created again during a snapshot may appear twice; the one with the larger after wins.
//
// Version 1 ("VIGILMS1", read only) was encoded under the write lock in one piece:
//
//	magic "VIGILMS1" seq:u64
//	customers:uvarint  customers×(id:uvarint-prefixed blob:uvarint-prefixed)
//	terminals:uvarint  terminals×(id blob)
//	crc:u32            CRC-32C of everything before it
const (
	snapshotMagic   = "VIGILMS2"
	snapshotMagicV1 = "VIGILMS1"
	snapshotName    = "snapshot"

	kindEnd      = 0
	kindCustomer = 1
	kindTerminal = 2

	// defaultChunk is how many histories a snapshot encodes, or a sweep sweeps, before it
	// lets other operations in: about a millisecond of work.
	defaultChunk = 1024
)

// Snapshot writes the whole state to the snapshot file and deletes the log it covers. It
// seals the current log segment and starts the next one first, so changes go on while the
// file is written. The histories are encoded under the read lock, which scoring shares, in
// chunks of defaultChunk between which changes go on too: the state never stops for the
// whole encoding (with the write lock held throughout, a snapshot of 400,000 histories
// stopped every change for about 110 ms). It does nothing when nothing
// changed since the last snapshot, and fails when the state has no directory, is closed, or
// the file cannot be written (the previous snapshot and the log then stay as they were).
func (s *State) Snapshot(ctx context.Context) error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	// Sync the log first, without the write lock, so that sealing the segment under it
	// below has only the records of the last moments left to fsync.
	if err := s.sync(true); err != nil {
		return err
	}
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
	// A segment that already starts after seq holds nothing yet (recovery reopened the one a
	// snapshot interrupted by a crash had created): it stays.
	var err error
	if s.seg.start != s.seq+1 {
		err = s.seg.close()
		if err == nil {
			s.seg, err = createSegment(s.opts.Dir, s.seq+1)
		}
	}
	if err != nil {
		s.failed = fmt.Errorf("rotate feature state log: %w", err)
		s.mu.Unlock()
		s.syncMu.Unlock()
		return s.failed
	}
	seq := s.seq
	s.snapSize = 0
	s.mu.Unlock()
	s.syncMu.Unlock()

	data := s.encodeSnapshot(seq)
	// Histories are encoded with what they hold, which may include operations applied while
	// encoding, past seq. Their log records must be on disk before a snapshot that counts
	// them is: otherwise a crash now would restart numbering below them, and recovery would
	// skip new operations under those numbers for those histories.
	if err := s.sync(true); err != nil {
		return err
	}
	if err := writeSnapshot(s.opts.Dir, data); err != nil {
		return fmt.Errorf("write feature state snapshot: %w", err)
	}
	s.mu.Lock()
	s.snapSeq = seq
	s.mu.Unlock()
	return removeSegments(s.opts.Dir, seq)
}

// encodeSnapshot encodes the state from start, the sequence number of the last operation
// in the sealed segments. The caller holds snapMu but not mu: encodeSnapshot takes the read
// lock chunk by chunk. Ranging over a map that changes between chunks is allowed (a history
// deleted before it is reached is not produced; one created meanwhile may or may not be),
// and each history is encoded with the operations it holds; the log after start has the rest.
//
// Customers come first, so no customer is encoded after a terminal: a customer that holds an
// observation implies its terminal holds it too. Recovery relies on that, since replaying an
// observation into a terminal needs the Observation.Large that the customer's Add sets, and
// loadV2 refuses a file that breaks the order.
func (s *State) encodeSnapshot(start uint64) []byte {
	s.mu.RLock()
	histories := len(s.customers) + len(s.terminals)
	s.mu.RUnlock()
	b := make([]byte, 0, 64+histories*512) // allocated (and zeroed) with no lock held
	s.mu.RLock()
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint64(b, start)
	n := 0
	next := func() {
		if n++; n%s.chunk == 0 {
			s.mu.RUnlock()
			if s.snapshotPause != nil {
				s.snapshotPause()
			}
			s.mu.RLock()
		}
	}
	for id, c := range s.customers {
		b = append(b, kindCustomer)
		b = appendString(b, id)
		b = binary.AppendUvarint(b, s.seq-start)
		b = appendBlob(b, c)
		next()
	}
	for id, t := range s.terminals {
		b = append(b, kindTerminal)
		b = appendString(b, id)
		b = binary.AppendUvarint(b, s.seq-start)
		b = appendBlob(b, t)
		next()
	}
	s.mu.RUnlock()
	b = append(b, kindEnd)
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
// number it covers; 0 when there is none. For a version-2 snapshot it fills customersAt and
// terminalsAt with the histories encoded after that number (see the file layout).
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
	if len(data) < len(snapshotMagic)+8+4 {
		return 0, corrupt("not a vigil feature state snapshot")
	}
	magic := string(data[:len(snapshotMagic)])
	if magic != snapshotMagic && magic != snapshotMagicV1 {
		return 0, corrupt("not a vigil feature state snapshot")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return 0, corrupt("checksum mismatch")
	}
	r := snapshotReader{p: body[len(snapshotMagic):]}
	seq := binary.LittleEndian.Uint64(r.p)
	r.p = r.p[8:]
	if magic == snapshotMagicV1 {
		err = s.loadV1(&r)
	} else {
		err = s.loadV2(&r, seq)
	}
	if err != nil {
		return 0, corrupt(err.Error())
	}
	if len(r.p) != 0 {
		return 0, corrupt("trailing bytes")
	}
	return seq, nil
}

// snapshotReader reads a snapshot's body.
type snapshotReader struct{ p []byte }

// bytes reads a uvarint-prefixed byte string.
func (r *snapshotReader) bytes() ([]byte, bool) {
	n, k := binary.Uvarint(r.p)
	if k <= 0 || n > uint64(len(r.p)-k) {
		return nil, false
	}
	v := r.p[k : k+int(n)]
	r.p = r.p[k+int(n):]
	return v, true
}

// uvarint reads a uvarint no larger than max.
func (r *snapshotReader) uvarint(max uint64) (uint64, bool) {
	n, k := binary.Uvarint(r.p)
	if k <= 0 || n > max {
		return 0, false
	}
	r.p = r.p[k:]
	return n, true
}

// loadV2 reads the histories of a version-2 snapshot that starts at start.
func (s *State) loadV2(r *snapshotReader, start uint64) error {
	terminals := false // whether a terminal was read: customers must all come before
	for {
		if len(r.p) == 0 {
			return errors.New("truncated")
		}
		kind := r.p[0]
		r.p = r.p[1:]
		if kind == kindEnd {
			return nil
		}
		if kind != kindCustomer && kind != kindTerminal {
			return fmt.Errorf("unknown history kind %d", kind)
		}
		id, ok1 := r.bytes()
		after, ok2 := r.uvarint(math.MaxUint64 - start)
		blob, ok3 := r.bytes()
		if !ok1 || !ok2 || !ok3 {
			return errors.New("truncated history")
		}
		at := start + after
		if kind == kindCustomer && terminals {
			return errors.New("a customer after a terminal")
		}
		terminals = terminals || kind == kindTerminal
		if kind == kindCustomer {
			c := new(window.Customer)
			if err := c.UnmarshalBinary(blob); err != nil {
				return err
			}
			s.customersAt = place(s.customers, s.customersAt, string(id), c, at, start)
		} else {
			t := new(window.Terminal)
			if err := t.UnmarshalBinary(blob); err != nil {
				return err
			}
			s.terminalsAt = place(s.terminals, s.terminalsAt, string(id), t, at, start)
		}
	}
}

// place puts history h of id, which holds the operations up to at, into m unless m already
// has a newer one of id, and records at in ats when it is after start. It returns ats.
func place[H any](m map[string]H, ats map[string]uint64, id string, h H, at, start uint64) map[string]uint64 {
	if _, dup := m[id]; dup {
		prev, ok := ats[id]
		if !ok {
			prev = start
		}
		if at <= prev {
			return ats
		}
	}
	m[id] = h
	if at > start {
		if ats == nil {
			ats = make(map[string]uint64)
		}
		ats[id] = at
	}
	return ats
}

// loadV1 reads the histories of a version-1 snapshot: every one holds exactly the
// operations up to the snapshot's sequence number.
func (s *State) loadV1(r *snapshotReader) error {
	n, ok := r.uvarint(uint64(len(r.p)))
	if !ok {
		return errors.New("bad customer count")
	}
	for range n {
		id, ok1 := r.bytes()
		blob, ok2 := r.bytes()
		if !ok1 || !ok2 {
			return errors.New("truncated customer")
		}
		c := new(window.Customer)
		if err := c.UnmarshalBinary(blob); err != nil {
			return err
		}
		s.customers[string(id)] = c
	}
	if n, ok = r.uvarint(uint64(len(r.p))); !ok {
		return errors.New("bad terminal count")
	}
	for range n {
		id, ok1 := r.bytes()
		blob, ok2 := r.bytes()
		if !ok1 || !ok2 {
			return errors.New("truncated terminal")
		}
		t := new(window.Terminal)
		if err := t.UnmarshalBinary(blob); err != nil {
			return err
		}
		s.terminals[string(id)] = t
	}
	return nil
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
	// Every operation after the snapshot has been replayed: the histories now hold them all.
	s.customersAt, s.terminalsAt = nil, nil
	return removeSegments(dir, s.snapSeq)
}
