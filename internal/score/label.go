package score

import (
	"context"
	"errors"
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
// and in the feature state, where from then on it counts in its terminal's risk. l.LabelledAt
// defaults to now. It returns the transaction's label as it now stands.
//
// It is idempotent: a label with the verdict and source of the transaction's current label
// (its latest by LabelledAt) stores nothing and returns that label with replayed true, so a
// client that timed out may send it again. A label with another verdict or source is stored;
// the feature state follows the latest label by LabelledAt, whatever order the calls come
// in (labels of one transaction are taken one at a time). It fails with fraud.ErrNotFound
// when the transaction was never scored, and a *fraud.ValidationError for a bad source.
func (p *Pipeline) Label(ctx context.Context, l fraud.Label) (current fraud.Label, replayed bool, err error) {
	var verr fraud.ValidationError
	if l.TransactionID == "" {
		verr.Add("transaction_id", "required")
	} else if !fraud.IsIdentifier(l.TransactionID) {
		verr.Add("transaction_id", "must be 1-128 printable characters without spaces")
	}
	if len(l.Source) > MaxSourceBytes || !utf8.ValidString(l.Source) {
		verr.Add("source", fmt.Sprintf("at most %d bytes of UTF-8", MaxSourceBytes))
	} else if fraud.ContainsCardNumber(l.Source) {
		verr.Add("source", fraud.ReasonCardInText)
	}
	if err := verr.Err(); err != nil {
		return fraud.Label{}, false, err
	}
	if l.LabelledAt.IsZero() {
		l.LabelledAt = p.now().UTC()
	}
	mu := &p.labelLocks[stripe(l.TransactionID)]
	mu.Lock()
	defer mu.Unlock()
	t, err := p.store.Transaction(ctx, l.TransactionID)
	if err != nil {
		return fraud.Label{}, false, err
	}
	latest, found, err := p.latestLabel(ctx, l.TransactionID)
	if err != nil {
		return fraud.Label{}, false, err
	}
	current = l
	switch {
	case found && latest.Fraud == l.Fraud && latest.Source == l.Source:
		current, replayed = latest, true
	default:
		if err := p.store.SaveLabel(ctx, l); err != nil {
			return fraud.Label{}, false, err
		}
		if found && latest.LabelledAt.After(l.LabelledAt) {
			current = latest // an older label arrived late: the verdict stands
		}
	}
	// The label is durable, so the call succeeds; the state follows, but only when the
	// verdict changes: a fraud label on a payment the state has folded into its day's counts
	// adds one to the day each time it is applied. Should the update fail, the error is
	// logged and counted (Stats.StateErrors) like a decision's.
	if found && latest.Fraud == current.Fraud {
		return current, replayed, nil
	}
	if err := p.engine.Label(context.WithoutCancel(ctx), t, current.Fraud); err != nil {
		p.stateErrors.Add(1)
		p.log.Error("label stored, feature state not updated", "error", err)
	}
	return current, replayed, nil
}

// latestLabel returns the transaction's latest label by LabelledAt (the later saved on a
// tie), if it has one.
func (p *Pipeline) latestLabel(ctx context.Context, txID string) (fraud.Label, bool, error) {
	var (
		latest fraud.Label
		found  bool
		cursor string
	)
	for {
		page, err := p.store.Labels(ctx, fraud.LabelFilter{TransactionID: txID, Limit: fraud.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return fraud.Label{}, false, err
		}
		for _, l := range page.Items {
			if !found || !l.LabelledAt.Before(latest.LabelledAt) {
				latest, found = l, true
			}
		}
		if page.Next == "" {
			return latest, found, nil
		}
		cursor = page.Next
	}
}

// ResolveCase closes the review case id with the analyst's verdict, and labels its
// transaction accordingly (source "case"). A fraud verdict resolves the case as decline, a
// genuine one as approve. It fails with fraud.ErrNotFound for an unknown case, with
// fraud.ErrConflict when the case is already resolved, and a *fraud.ValidationError for a
// note that is too long or holds a card number. Once the resolution is committed the rest
// runs whatever ctx does; should the label then fail, it returns the resolved case and an
// error wrapping ErrUnlabelled.
func (p *Pipeline) ResolveCase(ctx context.Context, id string, isFraud bool, note string) (*fraud.Case, error) {
	var verr fraud.ValidationError
	switch {
	case len(note) > MaxNoteBytes || !utf8.ValidString(note):
		verr.Add("note", fmt.Sprintf("at most %d bytes of UTF-8", MaxNoteBytes))
	case fraud.ContainsCardNumber(note):
		verr.Add("note", fraud.ReasonCardInText)
	}
	if err := verr.Err(); err != nil {
		return nil, err
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
	// The resolution is committed: the caller hanging up now must not leave it unlabelled
	// (a retry would only meet a resolved case).
	ctx = context.WithoutCancel(ctx)
	_, _, labelErr := p.Label(ctx, fraud.Label{TransactionID: c.TransactionID, Fraud: isFraud, Source: "case", LabelledAt: now})
	resolved, err := p.store.Case(ctx, id)
	if err != nil {
		resolved = c
		resolved.Status, resolved.Resolution, resolved.Note, resolved.UpdatedAt = fraud.CaseResolved, resolution, note, now
	}
	if labelErr != nil {
		p.log.Error("case resolved, its label not stored; send the label again", "case", id, "error", labelErr)
		return resolved, fmt.Errorf("%w: %w", ErrUnlabelled, labelErr)
	}
	return resolved, err
}

// ErrUnlabelled wraps the error of a case resolution whose label could not be stored:
// ResolveCase then returns the resolved case with it. The resolution stands; the label
// should be sent again (Label).
var ErrUnlabelled = errors.New("case resolved, its label not stored")
