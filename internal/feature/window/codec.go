package window

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt means a blob is not a history this package encoded.
var ErrCorrupt = errors.New("corrupt history")

// Blob layout (little-endian), version 1. An empty blob is an empty history.
//
//	customer: 0x01 'C' flags:u8 last:u32 country:[2] devices:[4]u32
//	          n:uvarint n×(time:u32 lo:u32 hi:u32) folds
//	terminal: 0x01 'T' n:uvarint n×(time:u32 aux:u32) folds
//	folds:    k:uvarint k×(day+1:u32 count:u32 sum:u64)
//
// A terminal event's aux is its id hash (24 bits) << 8 | flags: bit 0 fraud, bit 1 labelled,
// bit 2 large (Observation.Large; added later within version 1: blobs written before it have
// the bit clear, so their events decode as not large, and older code ignores it), bits 3-7
// zero, reserved.
const (
	blobVersion  = 1
	kindCustomer = 'C'
	kindTerminal = 'T'
)

// AppendBinary appends the encoding of c to b (encoding.BinaryAppender).
func (c *Customer) AppendBinary(b []byte) ([]byte, error) {
	if c.isEmpty() {
		return b, nil
	}
	b = append(b, blobVersion, kindCustomer)
	var flags byte
	if c.seen {
		flags = 1
	}
	b = append(b, flags)
	b = binary.LittleEndian.AppendUint32(b, c.last)
	b = append(b, c.country[:]...)
	for _, d := range c.devices {
		b = binary.LittleEndian.AppendUint32(b, d)
	}
	r := &c.events
	b = binary.AppendUvarint(b, uint64(r.n))
	for i := 0; i < int(r.n); i++ {
		e := r.at(i)
		b = binary.LittleEndian.AppendUint32(b, e.Time)
		b = binary.LittleEndian.AppendUint32(b, e.lo)
		b = binary.LittleEndian.AppendUint32(b, e.hi)
	}
	return appendFolded(b, c.folded), nil
}

func (c *Customer) isEmpty() bool { return !c.seen && c.events.n == 0 && c.folded == nil }

// UnmarshalBinary sets c to the history encoded in b, reusing c's memory. It fails with an
// error wrapping ErrCorrupt, leaving c empty, when b is not a customer history.
func (c *Customer) UnmarshalBinary(b []byte) error {
	buf := c.events.buf
	*c = Customer{}
	c.events.buf = buf
	if len(b) == 0 {
		return nil
	}
	d := decoder{b: b}
	d.header(kindCustomer)
	flags := d.u8()
	c.seen = flags&1 != 0
	c.last = d.u32()
	c.country[0], c.country[1] = d.u8(), d.u8()
	for i := range c.devices {
		c.devices[i] = d.u32()
	}
	n := d.count(12)
	c.events.resizeTo(n)
	prev := uint32(0)
	for i := 0; i < n && d.err == nil; i++ {
		e := CustomerEvent{Time: d.u32(), lo: d.u32(), hi: d.u32()}
		if e.Time < prev {
			d.fail("events out of order")
		}
		prev = e.Time
		c.events.buf[i] = e
		c.cents += e.Cents()
	}
	c.events.n = int32(n)
	c.folded = d.folded()
	if err := d.done(); err != nil {
		*c = Customer{}
		return err
	}
	return nil
}

// AppendBinary appends the encoding of t to b (encoding.BinaryAppender).
func (t *Terminal) AppendBinary(b []byte) ([]byte, error) {
	if t.events.n == 0 && t.folded == nil {
		return b, nil
	}
	b = append(b, blobVersion, kindTerminal)
	r := &t.events
	b = binary.AppendUvarint(b, uint64(r.n))
	for i := 0; i < int(r.n); i++ {
		e := r.at(i)
		b = binary.LittleEndian.AppendUint32(b, e.Time)
		b = binary.LittleEndian.AppendUint32(b, e.aux)
	}
	return appendFolded(b, t.folded), nil
}

// UnmarshalBinary sets t to the history encoded in b, reusing t's memory. It fails with an
// error wrapping ErrCorrupt, leaving t empty, when b is not a terminal history.
func (t *Terminal) UnmarshalBinary(b []byte) error {
	buf := t.events.buf
	*t = Terminal{}
	t.events.buf = buf
	if len(b) == 0 {
		return nil
	}
	d := decoder{b: b}
	d.header(kindTerminal)
	n := d.count(8)
	t.events.resizeTo(n)
	prev := uint32(0)
	for i := 0; i < n && d.err == nil; i++ {
		e := TerminalEvent{Time: d.u32(), aux: d.u32()}
		if e.Time < prev {
			d.fail("events out of order")
		}
		prev = e.Time
		t.events.buf[i] = e
		if e.Fraud() {
			t.frauds++
		}
	}
	t.events.n = int32(n)
	t.folded = d.folded()
	if err := d.done(); err != nil {
		*t = Terminal{}
		return err
	}
	return nil
}

func appendFolded(b []byte, f *folded) []byte {
	if f == nil {
		return append(b, 0)
	}
	k := 0
	for _, d := range f.day {
		if d != 0 {
			k++
		}
	}
	b = binary.AppendUvarint(b, uint64(k))
	for s, d := range f.day {
		if d == 0 {
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, d)
		b = binary.LittleEndian.AppendUint32(b, f.count[s])
		b = binary.LittleEndian.AppendUint64(b, f.sum[s])
	}
	return b
}

// resizeTo makes the ring's buffer hold at least n events from index 0, reusing it when it
// is large enough, and empties the ring.
func (r *ring[E]) resizeTo(n int) {
	r.head, r.n = 0, 0
	if n == 0 {
		return
	}
	if len(r.buf) < n {
		r.buf = nil
		r.resize(growCap(n))
	}
}

// decoder reads a blob, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, why)
	}
	d.b = nil
}

func (d *decoder) header(kind byte) {
	if len(d.b) < 2 || d.b[0] != blobVersion || d.b[1] != kind {
		d.fail("unknown version or kind")
		return
	}
	d.b = d.b[2:]
}

func (d *decoder) u8() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// count reads an element count and checks that that many elements of size bytes can follow.
func (d *decoder) count(size int) int {
	v, k := binary.Uvarint(d.b)
	if k <= 0 || v > uint64(len(d.b)-k)/uint64(size) {
		d.fail("bad count")
		return 0
	}
	d.b = d.b[k:]
	return int(v)
}

func (d *decoder) folded() *folded {
	k := d.count(16)
	if k == 0 || d.err != nil {
		return nil
	}
	if k > foldDays {
		d.fail("too many fold days")
		return nil
	}
	f := new(folded)
	for i := 0; i < k; i++ {
		day, n, sum := d.u32(), d.u32(), d.u64()
		if day == 0 {
			d.fail("empty fold day")
			return nil
		}
		f.day[(day-1)%foldDays], f.count[(day-1)%foldDays], f.sum[(day-1)%foldDays] = day, n, sum
	}
	return f
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}
