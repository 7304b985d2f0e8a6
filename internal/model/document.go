package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// FormatVersion is the version of the model document this package writes and
// the only one it reads.
const FormatVersion = 1

// Feature names one model input and the version of its definition in the
// feature engine (internal/feature's Def.Version), so a model is never fed a
// feature computed differently from the one it was trained on.
type Feature struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// TrainingSummary describes the data a model was trained on.
type TrainingSummary struct {
	Rows      int       `json:"rows"`
	Positives int       `json:"positives"`
	From      time.Time `json:"from,omitzero"` // first transaction time
	To        time.Time `json:"to,omitzero"`   // last transaction time
	Source    string    `json:"source,omitempty"`
}

// File is a model with everything needed to use and audit it: what Save
// writes and Load returns.
type File struct {
	// Model is a *GBDT or a *Logistic; its feature names must equal the
	// names of Features, in order.
	Model    Model
	Features []Feature
	Training TrainingSummary
	// GBDTOptions or LogisticOptions record the hyper-parameters used (with
	// defaults filled in); both are nil for an imported model.
	GBDTOptions     *GBDTOptions
	LogisticOptions *LogisticOptions
	// Metrics holds evaluation results by name, e.g. "auc_roc",
	// "average_precision", "card_precision_at_100". Values must be finite.
	Metrics map[string]float64
	// CreatedAt is when the model was made; Save sets it to the current time
	// when it is zero.
	CreatedAt time.Time

	// SHA256 is the hex SHA-256 of the content bytes, set by Save and Load.
	SHA256 string
	// Signed reports that the file carries an Ed25519 signature. After Load
	// it is verified only when LoadOptions.PublicKey was given.
	Signed bool
}

// Kind returns the model family of f.Model ("" when it is neither).
func (f *File) Kind() Kind {
	switch f.Model.(type) {
	case *GBDT:
		return KindGBDT
	case *Logistic:
		return KindLogistic
	}
	return ""
}

// Version returns a short, stable identifier of the model: its kind and the
// first 12 hex digits of its content hash, e.g. "gbdt-3f2a9c1b7d4e". It is
// empty until Save or Load has set SHA256.
func (f *File) Version() string {
	if len(f.SHA256) < 12 {
		return ""
	}
	return string(f.Kind()) + "-" + f.SHA256[:12]
}

// document is the JSON form of a File's content.
type document struct {
	Format          int                `json:"format_version"`
	Kind            Kind               `json:"kind"`
	CreatedAt       time.Time          `json:"created_at"`
	Features        []Feature          `json:"features"`
	Training        TrainingSummary    `json:"training"`
	GBDTOptions     *GBDTOptions       `json:"gbdt_options,omitempty"`
	LogisticOptions *LogisticOptions   `json:"logistic_options,omitempty"`
	Metrics         map[string]float64 `json:"metrics,omitempty"`
	GBDT            *gbdtDocument      `json:"gbdt,omitempty"`
	Logistic        *logisticDocument  `json:"logistic,omitempty"`
}

type gbdtDocument struct {
	BaseMargin float64    `json:"base_margin"`
	Trees      []treeSpec `json:"trees"`
}

type logisticDocument struct {
	Intercept float64   `json:"intercept"`
	Mean      []float64 `json:"mean"`
	Std       []float64 `json:"std"`
	Weights   []float64 `json:"weights"`
}

// encodeContent returns the canonical content bytes of f.
func encodeContent(f *File) ([]byte, error) {
	if err := checkFeatures(f.Features); err != nil {
		return nil, err
	}
	if f.Model == nil || !sameNames(f.Model.FeatureNames(), featureNames(f.Features)) {
		return nil, fmt.Errorf("%w: the model's inputs differ from the file's features", ErrInvalidModel)
	}
	if err := checkSummary(f); err != nil {
		return nil, err
	}
	doc := document{
		Format:          FormatVersion,
		Kind:            f.Kind(),
		CreatedAt:       f.CreatedAt.UTC(),
		Features:        f.Features,
		Training:        f.Training,
		GBDTOptions:     f.GBDTOptions,
		LogisticOptions: f.LogisticOptions,
		Metrics:         f.Metrics,
	}
	switch m := f.Model.(type) {
	case *GBDT:
		doc.GBDT = &gbdtDocument{BaseMargin: m.base, Trees: m.specs()}
	case *Logistic:
		doc.Logistic = &logisticDocument{Intercept: m.intercept, Mean: m.mean, Std: m.std, Weights: m.weights}
	default:
		return nil, fmt.Errorf("%w: model type %T", ErrUnsupported, f.Model)
	}
	return json.Marshal(doc)
}

// decodeContent parses and checks content bytes; it returns a complete File
// or an error, never a partial one.
func decodeContent(content []byte) (*File, error) {
	var head struct {
		Format int `json:"format_version"`
	}
	if err := json.Unmarshal(content, &head); err != nil {
		return nil, fmt.Errorf("%w: content: %v", ErrInvalidModel, err)
	}
	if head.Format != FormatVersion {
		return nil, fmt.Errorf("%w: model format version %d (this build reads %d)", ErrUnsupported, head.Format, FormatVersion)
	}
	var doc document
	if err := strictUnmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("%w: content: %v", ErrInvalidModel, err)
	}
	f := &File{
		Features:        doc.Features,
		Training:        doc.Training,
		GBDTOptions:     doc.GBDTOptions,
		LogisticOptions: doc.LogisticOptions,
		Metrics:         doc.Metrics,
		CreatedAt:       doc.CreatedAt,
	}
	if err := checkFeatures(f.Features); err != nil {
		return nil, err
	}
	names := featureNames(f.Features)
	switch doc.Kind {
	case KindGBDT:
		if doc.GBDT == nil || doc.Logistic != nil {
			return nil, fmt.Errorf("%w: a gbdt model needs a gbdt member and no other", ErrInvalidModel)
		}
		m, err := compileGBDT(names, doc.GBDT.BaseMargin, doc.GBDT.Trees)
		if err != nil {
			return nil, err
		}
		f.Model = m
	case KindLogistic:
		if doc.Logistic == nil || doc.GBDT != nil {
			return nil, fmt.Errorf("%w: a logistic model needs a logistic member and no other", ErrInvalidModel)
		}
		m, err := newLogistic(names, doc.Logistic)
		if err != nil {
			return nil, err
		}
		f.Model = m
	default:
		return nil, fmt.Errorf("%w: model kind %q", ErrUnsupported, doc.Kind)
	}
	if err := checkSummary(f); err != nil {
		return nil, err
	}
	return f, nil
}

// newLogistic checks a logistic document against the feature names.
func newLogistic(names []string, d *logisticDocument) (*Logistic, error) {
	n := len(names)
	if len(d.Mean) != n || len(d.Std) != n || len(d.Weights) != n {
		return nil, fmt.Errorf("%w: logistic model has %d/%d/%d means/stds/weights for %d features",
			ErrInvalidModel, len(d.Mean), len(d.Std), len(d.Weights), n)
	}
	// Bounded parameters keep every margin finite: |w·z| <= 1e100·1e6.
	const maxParam = 1e100
	if !(math.Abs(d.Intercept) <= maxParam) {
		return nil, fmt.Errorf("%w: logistic intercept %v", ErrInvalidModel, d.Intercept)
	}
	for j := range n {
		if !finite(d.Mean[j]) || !(math.Abs(d.Weights[j]) <= maxParam) || !finite(d.Std[j]) || d.Std[j] <= 0 {
			return nil, fmt.Errorf("%w: logistic feature %q: mean %v, std %v, weight %v",
				ErrInvalidModel, names[j], d.Mean[j], d.Std[j], d.Weights[j])
		}
	}
	return &Logistic{names: names, mean: d.Mean, std: d.Std, weights: d.Weights, intercept: d.Intercept}, nil
}

func checkFeatures(fs []Feature) error {
	if len(fs) == 0 {
		return fmt.Errorf("%w: no features", ErrInvalidModel)
	}
	seen := make(map[string]bool, len(fs))
	for i, f := range fs {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("%w: feature %d name %q is empty or repeated", ErrInvalidModel, i, f.Name)
		}
		if f.Version == "" {
			return fmt.Errorf("%w: feature %q has no definition version", ErrInvalidModel, f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

func checkSummary(f *File) error {
	if t := f.Training; t.Rows < 0 || t.Positives < 0 || t.Positives > t.Rows {
		return fmt.Errorf("%w: training summary %d rows, %d positives", ErrInvalidModel, t.Rows, t.Positives)
	}
	for name, v := range f.Metrics {
		if !finite(v) {
			return fmt.Errorf("%w: metric %q is %v", ErrInvalidModel, name, v)
		}
	}
	return nil
}

func featureNames(fs []Feature) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

// Features returns feature descriptions for names, all with definition
// version "1": a convenience for tests and for models whose inputs are not
// versioned (an XGBoost import).
func Features(names []string) []Feature {
	fs := make([]Feature, len(names))
	for i, n := range names {
		fs[i] = Feature{Name: n, Version: "1"}
	}
	return fs
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// strictUnmarshal decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) != 0 { // JSON whitespace only
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}
