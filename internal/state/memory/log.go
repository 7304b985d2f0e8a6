package memory

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/vigil-fraud/vigil/internal/feature/window"
)

// Operation codes of log records.
const (
	opObserve = 1
	opLabel   = 2
	opSweep   = 3 // the whole state (written by earlier versions; still replayed)
	opErase   = 4
	// opSweepOne sweeps one history: Sweep logs one per history it changes, so that it can
	// let other operations in between (see State.Sweep).
	opSweepOne = 5
)

// Kinds of history in opSweepOne records.
const (
	sweptCustomer = 1
	sweptTerminal = 2
)

const (
	recordHeader = 8    // length:u32 crc:u32
	maxRecord    = 4096 // the largest payload: two ids of maxIDLength and fixed fields
	minRecord    = 9    // seq:u64 op:u8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segment is the log file being appended to.
type segment struct {
	f     *os.File
	w     *bufio.Writer
	start uint64 // sequence number of its first record
	path  string
}

func segmentName(start uint64) string { return fmt.Sprintf("log-%020d", start) }

// createSegment creates an empty segment file for records from start on, and syncs the
// directory so the file survives a crash.
func createSegment(dir string, start uint64) (*segment, error) {
	path := filepath.Join(dir, segmentName(start))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) // #nosec G304 -- our own directory
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &segment{f: f, w: bufio.NewWriterSize(f, 256<<10), start: start, path: path}, nil
}

// openSegment opens an existing segment to append after its first size bytes, truncating
// whatever follows (a torn record).
func openSegment(path string, start uint64, size int64) (*segment, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600) // #nosec G304 -- our own directory
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return &segment{f: f, w: bufio.NewWriterSize(f, 256<<10), start: start, path: path}, nil
}

func (g *segment) write(rec []byte) error {
	_, err := g.w.Write(rec)
	return err
}

func (g *segment) flush() error { return g.w.Flush() }

// close flushes, syncs and closes the segment.
func (g *segment) close() error {
	err := g.w.Flush()
	if err == nil {
		err = g.f.Sync()
	}
	return errors.Join(err, g.f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- our own directory
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// beginRecord appends the header placeholder and the payload's seq and op to b.
func beginRecord(b []byte, seq uint64, op byte) []byte {
	b = append(b, make([]byte, recordHeader)...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	return append(b, op)
}

// endRecord fills in the header of the record that starts b.
func endRecord(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(b)-recordHeader))
	crc := crc32.Update(0, castagnoli, b[0:4])
	crc = crc32.Update(crc, castagnoli, b[recordHeader:])
	binary.LittleEndian.PutUint32(b[4:8], crc)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeObserve: time:u32 cents:u64 id:u32 terminal:u32 device:u32 country:[2] customer terminal.
func encodeObserve(b []byte, seq uint64, o *window.Observation) []byte {
	b = beginRecord(b, seq, opObserve)
	b = binary.LittleEndian.AppendUint32(b, o.Time)
	b = binary.LittleEndian.AppendUint64(b, o.Cents)
	b = binary.LittleEndian.AppendUint32(b, o.IDHash)
	b = binary.LittleEndian.AppendUint32(b, o.TerminalHash)
	b = binary.LittleEndian.AppendUint32(b, o.DeviceHash)
	b = append(b, o.Country[0], o.Country[1])
	b = appendString(b, o.Customer)
	b = appendString(b, o.Terminal)
	return endRecord(b)
}

// encodeLabel: time:u32 id:u32 fraud:u8 customer terminal.
func encodeLabel(b []byte, seq uint64, o *window.Observation, isFraud bool) []byte {
	b = beginRecord(b, seq, opLabel)
	b = binary.LittleEndian.AppendUint32(b, o.Time)
	b = binary.LittleEndian.AppendUint32(b, o.IDHash)
	var f byte
	if isFraud {
		f = 1
	}
	b = append(b, f)
	b = appendString(b, o.Customer)
	b = appendString(b, o.Terminal)
	return endRecord(b)
}

// encodeSweep: now:u64 (Unix seconds).
func encodeSweep(b []byte, seq uint64, now int64) []byte {
	b = beginRecord(b, seq, opSweep)
	b = binary.LittleEndian.AppendUint64(b, uint64(now))
	return endRecord(b)
}

// encodeSweepOne: now:u64 (Unix seconds) kind:u8 id.
func encodeSweepOne(b []byte, seq uint64, now int64, kind byte, id string) []byte {
	b = beginRecord(b, seq, opSweepOne)
	b = binary.LittleEndian.AppendUint64(b, uint64(now))
	b = append(b, kind)
	b = appendString(b, id)
	return endRecord(b)
}

// encodeErase: customer.
func encodeErase(b []byte, seq uint64, customer string) []byte {
	b = beginRecord(b, seq, opErase)
	b = appendString(b, customer)
	return endRecord(b)
}

// op is one decoded log record.
type op struct {
	seq   uint64
	code  byte
	obs   window.Observation
	fraud bool
	now   int64
	kind  byte // opSweepOne: sweptCustomer or sweptTerminal
}

// decodeOp parses a payload whose checksum was verified.
func decodeOp(p []byte) (op, error) {
	var o op
	bad := func(why string) (op, error) { return op{}, errors.New(why) }
	o.seq = binary.LittleEndian.Uint64(p)
	o.code = p[8]
	p = p[9:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > maxIDLength || n > uint64(len(p)-k) {
			return "", false
		}
		s := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return s, true
	}
	var ok1, ok2 bool
	switch o.code {
	case opObserve:
		if len(p) < 26 {
			return bad("short observe record")
		}
		o.obs.Time = binary.LittleEndian.Uint32(p)
		o.obs.Cents = binary.LittleEndian.Uint64(p[4:])
		o.obs.IDHash = binary.LittleEndian.Uint32(p[12:])
		o.obs.TerminalHash = binary.LittleEndian.Uint32(p[16:])
		o.obs.DeviceHash = binary.LittleEndian.Uint32(p[20:])
		o.obs.Country = [2]byte{p[24], p[25]}
		p = p[26:]
		o.obs.Customer, ok1 = str()
		o.obs.Terminal, ok2 = str()
	case opLabel:
		if len(p) < 9 {
			return bad("short label record")
		}
		o.obs.Time = binary.LittleEndian.Uint32(p)
		o.obs.IDHash = binary.LittleEndian.Uint32(p[4:])
		o.fraud = p[8] == 1
		p = p[9:]
		o.obs.Customer, ok1 = str()
		o.obs.Terminal, ok2 = str()
	case opSweep:
		if len(p) < 8 {
			return bad("short sweep record")
		}
		o.now = int64(binary.LittleEndian.Uint64(p))
		p = p[8:]
		ok1, ok2 = true, true
	case opSweepOne:
		if len(p) < 9 {
			return bad("short sweep record")
		}
		o.now = int64(binary.LittleEndian.Uint64(p))
		o.kind = p[8]
		p = p[9:]
		var id string
		id, ok1 = str()
		ok2 = ok1 && id != "" && (o.kind == sweptCustomer || o.kind == sweptTerminal)
		if o.kind == sweptCustomer {
			o.obs.Customer = id
		} else {
			o.obs.Terminal = id
		}
	case opErase:
		o.obs.Customer, ok1 = str()
		ok2 = ok1 && o.obs.Customer != ""
	default:
		return bad(fmt.Sprintf("unknown operation %d", o.code))
	}
	if !ok1 || !ok2 {
		return bad("bad id")
	}
	if len(p) != 0 {
		return bad("trailing bytes")
	}
	return o, nil
}

// apply applies a decoded operation; the caller holds mu (or owns the state).
func (s *State) apply(o *op) {
	switch o.code {
	case opObserve:
		s.observe(&o.obs)
	case opLabel:
		s.label(&o.obs, o.fraud)
	case opSweep:
		s.sweep(o.now)
	case opSweepOne:
		if o.kind == sweptCustomer {
			s.sweepCustomer(o.obs.Customer, o.now)
		} else {
			s.sweepTerminal(o.obs.Terminal, o.now)
		}
	case opErase:
		s.erase(o.obs.Customer)
	}
}

// errTorn marks a torn tail: the offset where the complete records end.
type errTorn struct{ off int64 }

func (e errTorn) Error() string { return fmt.Sprintf("torn record at offset %d", e.off) }

// replaySegment applies the records of one segment that come after s.seq, checking that
// sequence numbers run on from start without a gap. It returns the size of the complete
// records; a torn tail is reported as errTorn (its offset) and any other damage as an error
// wrapping ErrCorrupt.
func (s *State) replaySegment(path string, start uint64) (int64, error) {
	f, err := os.Open(path) // #nosec G304 -- our own directory
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	br := bufio.NewReaderSize(f, 1<<20)
	corrupt := func(off int64, why string) error {
		return fmt.Errorf("%w: %s at offset %d: %s", ErrCorrupt, filepath.Base(path), off, why)
	}
	var (
		off     int64
		hdr     [recordHeader]byte
		payload = make([]byte, maxRecord)
		next    = start
	)
	for off < size {
		if size-off < recordHeader {
			return off, errTorn{off}
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		if n < minRecord || n > maxRecord {
			if zeros, err := restIsZero(br, hdr[:]); err != nil {
				return off, err
			} else if zeros {
				return off, errTorn{off}
			}
			return off, corrupt(off, fmt.Sprintf("bad record length %d", n))
		}
		if off+recordHeader+n > size {
			return off, errTorn{off}
		}
		p := payload[:n]
		if _, err := io.ReadFull(br, p); err != nil {
			return off, err
		}
		crc := crc32.Update(0, castagnoli, hdr[0:4])
		crc = crc32.Update(crc, castagnoli, p)
		if crc != binary.LittleEndian.Uint32(hdr[4:8]) {
			if off+recordHeader+n == size {
				return off, errTorn{off}
			}
			return off, corrupt(off, "checksum mismatch")
		}
		o, err := decodeOp(p)
		if err != nil {
			return off, corrupt(off, err.Error())
		}
		if o.seq != next {
			return off, corrupt(off, fmt.Sprintf("sequence number %d, want %d", o.seq, next))
		}
		next++
		if o.seq > s.seq {
			if o.seq != s.seq+1 {
				return off, corrupt(off, fmt.Sprintf("operations %d to %d are missing", s.seq+1, o.seq-1))
			}
			s.apply(&o)
		}
		off += recordHeader + n
	}
	return off, nil
}

// restIsZero reports whether the bytes in hdr and everything left in br are zero.
func restIsZero(br *bufio.Reader, hdr []byte) (bool, error) {
	for _, c := range hdr {
		if c != 0 {
			return false, nil
		}
	}
	var buf [4096]byte
	for {
		n, err := br.Read(buf[:])
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}
