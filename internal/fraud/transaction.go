package fraud

import "time"

// Channel values a transaction may carry. An empty channel means "not given".
const (
	ChannelPOS       = "pos"
	ChannelEcommerce = "ecommerce"
	ChannelATM       = "atm"
	ChannelMOTO      = "moto"
	ChannelWallet    = "wallet"
)

// Transaction is one payment as vigil sees it. ID, Timestamp, Amount, Currency,
// CustomerID and TerminalID are required; the rest enrich features and rules.
//
// Card is a token, never a raw card number: Validate refuses anything that looks like
// a primary account number. Identifiers are pseudonymised (see Pseudonymizer) before
// anything is stored.
type Transaction struct {
	ID               string            `json:"id"`
	Timestamp        time.Time         `json:"timestamp"`
	Amount           float64           `json:"amount"`
	Currency         string            `json:"currency"`
	CustomerID       string            `json:"customer_id"`
	TerminalID       string            `json:"terminal_id"`
	Card             string            `json:"card,omitempty"`
	MerchantCategory string            `json:"merchant_category,omitempty"`
	Channel          string            `json:"channel,omitempty"`
	Country          string            `json:"country,omitempty"`
	DeviceID         string            `json:"device_id,omitempty"`
	IP               string            `json:"ip,omitempty"`
	Attributes       map[string]string `json:"attributes,omitempty"`
}

// Outcome is what vigil answers for a transaction.
type Outcome string

// The three outcomes, from least to most severe.
const (
	Approve Outcome = "approve"
	Review  Outcome = "review"
	Decline Outcome = "decline"
)

// Severity orders outcomes: approve < review < decline.
func (o Outcome) Severity() int {
	switch o {
	case Approve:
		return 0
	case Review:
		return 1
	case Decline:
		return 2
	}
	return -1
}

// Reason is one contribution to a score, in domain words.
type Reason struct {
	Feature      string  `json:"feature"`
	Value        float64 `json:"value"`
	Contribution float64 `json:"contribution"`
	Text         string  `json:"text"`
}

// RuleHit is one rule that matched.
type RuleHit struct {
	Rule   string `json:"rule"`
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// Decision is what vigil decided about one transaction and everything that made it, so that
// the decision can be reproduced exactly later.
type Decision struct {
	ID            string    `json:"decision_id"`
	TransactionID string    `json:"transaction_id"`
	Outcome       Outcome   `json:"decision"`
	Score         float64   `json:"score"`
	Reasons       []Reason  `json:"reasons"`
	RuleHits      []RuleHit `json:"rule_hits"`
	ModelVersion  string    `json:"model_version"`
	RulesVersion  string    `json:"rules_version"`
	FeatureNames  []string  `json:"feature_names,omitempty"`
	Features      []float64 `json:"features,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	LatencyMicros int64     `json:"latency_us"`
}

// Label is an analyst's or a feed's verdict on a past transaction.
type Label struct {
	TransactionID string    `json:"transaction_id"`
	Fraud         bool      `json:"fraud"`
	Source        string    `json:"source,omitempty"`
	LabelledAt    time.Time `json:"labelled_at"`
}
