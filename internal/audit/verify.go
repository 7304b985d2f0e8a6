package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// ErrBroken is wrapped by every *BrokenError: the audit log is not a valid chain.
var ErrBroken = errors.New("audit log is broken")

// BrokenError names the first entry at which the chain is broken.
type BrokenError struct {
	Seq    uint64 // the first entry that is changed, missing or out of place
	Reason string // what is wrong with it, e.g. "hash does not match its content"
}

func (e *BrokenError) Error() string {
	return "audit log broken at entry " + strconv.FormatUint(e.Seq, 10) + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrBroken) true.
func (e *BrokenError) Unwrap() error { return ErrBroken }

// Head identifies the last entry of a log: its sequence number and hash. The zero Head is
// the head of an empty log.
type Head struct {
	Seq  uint64
	Hash []byte
}

// String formats h as "<seq>:<hex hash>", the form ParseHead reads.
func (h Head) String() string {
	return strconv.FormatUint(h.Seq, 10) + ":" + hex.EncodeToString(h.Hash)
}

// ParseHead reads a head written by Head.String. It fails with an error wrapping
// fraud.ErrInvalid when s is not of that form or the hash is not HashSize bytes.
func ParseHead(s string) (Head, error) {
	seqText, hashText, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Head{}, invalid("head %q is not <seq>:<hex hash>", s)
	}
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if err != nil || seq == 0 {
		return Head{}, invalid("head sequence number %q is not a positive integer", seqText)
	}
	hash, err := hex.DecodeString(hashText)
	if err != nil || len(hash) != HashSize {
		return Head{}, invalid("head hash is not %d bytes of hex", HashSize)
	}
	return Head{Seq: seq, Hash: hash}, nil
}

// Report describes a log that verified.
type Report struct {
	Entries  uint64    // how many entries were checked: the log's length
	Head     Head      // the last entry (zero for an empty log)
	HeadTime time.Time // the last entry's time (zero for an empty log)
}

// Progress is passed to the progress function during verification.
type Progress struct {
	Entries uint64 // entries verified so far
}

// ProgressEvery is how many entries Verify checks between two calls of the progress function.
const ProgressEvery = 1000

// VerifyOptions configure VerifyWith.
type VerifyOptions struct {
	// ExpectHead, when set, is a head noted earlier: the log must still hold that entry with
	// that hash, which detects a truncated tail (entries appended since are fine).
	ExpectHead *Head
	// Progress, when set, is called every ProgressEvery entries and once at the end.
	Progress func(Progress)
}

// Verify checks the whole audit log in store, from entry 1; see VerifyWith.
func Verify(ctx context.Context, store fraud.AuditStore, fn func(Progress)) (Report, error) {
	return VerifyWith(ctx, store, VerifyOptions{Progress: fn})
}

// VerifyWith checks the whole audit log in store: sequence numbers run from 1 with no gap,
// each entry's Hash matches its content, and each PrevHash is the previous entry's Hash (32
// zero bytes for entry 1). When the log is a valid chain (and holds o.ExpectHead, if set) it
// returns a Report and nil. When it is not, it returns a *BrokenError naming the first broken
// entry; any other error is the store's or the context's. Read-only.
//
// A chain alone cannot reveal that its last entries were removed; see ExpectHead.
func VerifyWith(ctx context.Context, store fraud.AuditStore, o VerifyOptions) (Report, error) {
	var (
		r        Report
		prevHash = make([]byte, HashSize)
	)
	err := store.ScanAudit(ctx, 1, func(e fraud.AuditEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := r.Entries + 1
		switch {
		case e.Seq > want:
			return &BrokenError{Seq: want, Reason: fmt.Sprintf("missing (the log goes from entry %d to entry %d)", r.Entries, e.Seq)}
		case e.Seq < want:
			return &BrokenError{Seq: want, Reason: fmt.Sprintf("out of order (entry %d found where entry %d belongs)", e.Seq, want)}
		case !bytes.Equal(Hash(e), e.Hash):
			return &BrokenError{Seq: e.Seq, Reason: "hash does not match its content"}
		case !bytes.Equal(e.PrevHash, prevHash) && e.Seq == 1:
			return &BrokenError{Seq: e.Seq, Reason: "previous hash of the first entry is not zero"}
		case !bytes.Equal(e.PrevHash, prevHash):
			return &BrokenError{Seq: e.Seq, Reason: fmt.Sprintf("previous hash does not match entry %d", e.Seq-1)}
		}
		if h := o.ExpectHead; h != nil && e.Seq == h.Seq && !bytes.Equal(e.Hash, h.Hash) {
			return &BrokenError{Seq: e.Seq, Reason: "hash differs from the expected head " + h.String()}
		}
		r.Entries = e.Seq
		r.Head = Head{Seq: e.Seq, Hash: e.Hash}
		r.HeadTime = e.Time
		prevHash = e.Hash
		if o.Progress != nil && r.Entries%ProgressEvery == 0 {
			o.Progress(Progress{Entries: r.Entries})
		}
		return nil
	})
	var broken *BrokenError
	if errors.As(err, &broken) {
		return Report{}, broken
	}
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	if h := o.ExpectHead; h != nil && h.Seq > r.Entries {
		return Report{}, &BrokenError{Seq: r.Entries + 1, Reason: fmt.Sprintf(
			"missing (the log ends at entry %d but the expected head is entry %d: its tail was removed)",
			r.Entries, h.Seq)}
	}
	if o.Progress != nil {
		o.Progress(Progress{Entries: r.Entries})
	}
	return r, nil
}
