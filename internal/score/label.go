package score

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Limits of the free text analysts attach.
const (
	MaxSourceBytes = 64
	MaxNoteBytes   = 2048
)

// Label records that the scored transaction l.TransactionID was fraud (or not): in the store,
// and in the feature state, where from then on it counts in its terminal's risk. Labelling a
// transaction again with the same value changes nothing; with the other value, the newer
// label wins. l.LabelledAt defaults to now. It fails with fraud.ErrNotFound when the
// transaction was never scored, and a *fraud.ValidationError for a bad source.
func (p *Pipeline) Label(ctx context.Context, l fraud.Label) error {
	var verr fraud.ValidationError
	if l.TransactionID == "" {
		verr.Add("transaction_id", "required")
	} else if !fraud.IsIdentifier(l.TransactionID) {
		verr.Add("transaction_id", "must be 1-128 printable characters without spaces")
	}
	if len(l.Source) > MaxSourceBytes || !utf8.ValidString(l.Source) {
		verr.Add("source", fmt.Sprintf("at most %d bytes of UTF-8", MaxSourceBytes))
	}
	if err := verr.Err(); err != nil {
		return err
	}
	if l.LabelledAt.IsZero() {
		l.LabelledAt = p.now().UTC()
	}
	t, err := p.store.Transaction(ctx, l.TransactionID)
	if err != nil {
		return err
	}
	if err := p.store.SaveLabel(ctx, l); err != nil {
		return err
	}
	// The label is durable, so the call succeeds; the state follows. Should its update fail,
	// the error is logged and counted (Stats.StateErrors) like a decision's: labelling is
	// idempotent in the state, so sending the label again puts it right.
	if err := p.engine.Label(context.WithoutCancel(ctx), t, l.Fraud); err != nil {
		p.stateErrors.Add(1)
		p.log.Error("label stored, feature state not updated; send the label again", "error", err)
	}
	return nil
}

// ResolveCase closes the review case id with the analyst's verdict, and labels its
// transaction accordingly (source "case"). A fraud verdict resolves the case as decline, a
// genuine one as approve. It fails with fraud.ErrNotFound for an unknown case, with
// fraud.ErrConflict when the case is already resolved, and a *fraud.ValidationError for a
// note that is too long.
func (p *Pipeline) ResolveCase(ctx context.Context, id string, isFraud bool, note string) (*fraud.Case, error) {
	if len(note) > MaxNoteBytes || !utf8.ValidString(note) {
		var verr fraud.ValidationError
		verr.Add("note", fmt.Sprintf("at most %d bytes of UTF-8", MaxNoteBytes))
		return nil, &verr
	}
	c, err := p.store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	resolution := fraud.Approve
	if isFraud {
		resolution = fraud.Decline
	}
	now := p.now().UTC()
	if err := p.store.ResolveCase(ctx, id, resolution, note, now); err != nil {
		return nil, err
	}
	if err := p.Label(ctx, fraud.Label{TransactionID: c.TransactionID, Fraud: isFraud, Source: "case", LabelledAt: now}); err != nil {
		return nil, err
	}
	return p.store.Case(ctx, id)
}
