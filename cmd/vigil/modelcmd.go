package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/model"
)

func init() {
	register(command{
		name:    "model",
		summary: "model files: keygen, sign, verify, info, import-xgboost",
		run:     runModel,
	})
}

const modelUsage = `Usage: vigil model SUBCOMMAND [flags]

Subcommands:
  keygen --private-out FILE        make an Ed25519 key pair: the private key to FILE (mode 0600),
                                   the public key (for VIGIL_MODEL_PUBKEY) on stdout
  sign --in MODEL --out MODEL      sign a model with VIGIL_MODEL_SIGNING_KEY (or _FILE)
  verify MODEL                     check the SHA-256, and the signature when VIGIL_MODEL_PUBKEY is set
  info MODEL [--json]              show version, kind, features, training summary and metrics
  import-xgboost --in XGB.json --features a,b,c --out MODEL
                                   import an XGBoost (1.7+) binary:logistic JSON model; features name
                                   its inputs in order, by vigil's or the handbook's names

Example:
  vigil model keygen --private-out signing.key > public.key
  VIGIL_MODEL_SIGNING_KEY_FILE=signing.key vigil model sign --in model.json --out model.signed.json
  VIGIL_MODEL_PUBKEY=$(cat public.key) vigil model verify model.signed.json`

func runModel(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(e.stderr, modelUsage)
		if len(args) == 0 {
			return errUsage
		}
		return errHelp
	}
	switch args[0] {
	case "keygen":
		return modelKeygen(e, args[1:])
	case "sign":
		return modelSign(e, args[1:])
	case "verify":
		return modelVerify(e, args[1:])
	case "info":
		return modelInfo(e, args[1:])
	case "import-xgboost":
		return modelImportXGBoost(e, args[1:])
	}
	fmt.Fprintf(e.stderr, "vigil model: unknown subcommand %q\n\n%s\n", args[0], modelUsage)
	return errUsage
}

func modelKeygen(e env, args []string) error {
	fs := newFlagSet(e, "model keygen", "--private-out FILE", "vigil model keygen --private-out signing.key > public.key")
	out := fs.String("private-out", "", "file to write the private key to, mode 0600 (required; never printed)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "vigil model keygen: --private-out FILE is required")
		return errUsage
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- operator's path
	if err != nil {
		return fmt.Errorf("private key: %w (an existing key is never overwritten)", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(priv.Seed())); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, base64.StdEncoding.EncodeToString(pub))
	return nil
}

func modelSign(e env, args []string) error {
	fs := newFlagSet(e, "model sign", "--in MODEL --out MODEL", "VIGIL_MODEL_SIGNING_KEY_FILE=signing.key vigil model sign --in model.json --out model.signed.json")
	in := fs.String("in", "", "the model to sign (required)")
	out := fs.String("out", "", "the signed model to write (required; may equal --in)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		fmt.Fprintln(e.stderr, "vigil model sign: --in and --out are required")
		return errUsage
	}
	key, err := signingKey(e)
	if err != nil {
		return err
	}
	if key == nil {
		return errors.New("no signing key: set VIGIL_MODEL_SIGNING_KEY or VIGIL_MODEL_SIGNING_KEY_FILE")
	}
	f, err := loadModel(env{getenv: func(string) string { return "" }}, *in) // the hash is checked; the old signature is replaced
	if err != nil {
		return err
	}
	if err := saveModel(*out, f, key); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "signed %s -> %s (%s)\n", *in, *out, f.Version())
	return nil
}

func modelVerify(e env, args []string) error {
	fs := newFlagSet(e, "model verify", "MODEL", "VIGIL_MODEL_PUBKEY=$(cat public.key) vigil model verify model.json")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "vigil model verify: name one model file")
		return errUsage
	}
	f, err := loadModel(e, fs.Arg(0))
	if err != nil {
		return err
	}
	how := "SHA-256 verified; signature not checked (VIGIL_MODEL_PUBKEY is not set)"
	if pub, _ := config.Secret(e.getenv, config.ModelPublicKeyVar); pub != "" {
		how = "SHA-256 and Ed25519 signature verified"
	}
	fmt.Fprintf(e.stdout, "%s: %s: %s\n", fs.Arg(0), f.Version(), how)
	return nil
}

type modelInfoReport struct {
	Version  string                `json:"version"`
	Kind     string                `json:"kind"`
	SHA256   string                `json:"sha256"`
	Signed   bool                  `json:"signed"`
	Features []model.Feature       `json:"features"`
	Training model.TrainingSummary `json:"training"`
	Metrics  map[string]float64    `json:"metrics,omitempty"`
	Trees    int                   `json:"trees,omitempty"`
	Created  string                `json:"created"`
}

func modelInfo(e env, args []string) error {
	fs := newFlagSet(e, "model info", "MODEL [--json]", "vigil model info model.json --json")
	asJSON := fs.Bool("json", false, "print one JSON object")
	path, rest := splitPositional(args)
	if err := parseFlags(fs, rest, false); err != nil {
		return err
	}
	if path == "" {
		fmt.Fprintln(e.stderr, "vigil model info: name one model file")
		return errUsage
	}
	f, err := loadModel(e, path)
	if err != nil {
		return err
	}
	r := modelInfoReport{Version: f.Version(), Kind: string(f.Kind()), SHA256: f.SHA256, Signed: f.Signed,
		Features: f.Features, Training: f.Training, Metrics: f.Metrics, Created: f.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	if g, ok := f.Model.(*model.GBDT); ok {
		r.Trees = g.NumTrees()
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	fmt.Fprintf(e.stdout, "model %s (%s, signed: %v), created %s\n", r.Version, r.Kind, r.Signed, r.Created)
	if r.Trees > 0 {
		fmt.Fprintf(e.stdout, "trees: %d\n", r.Trees)
	}
	fmt.Fprintf(e.stdout, "trained on %d transactions (%d frauds)\n", r.Training.Rows, r.Training.Positives)
	for k, v := range r.Metrics {
		fmt.Fprintf(e.stdout, "%s: %.4f\n", k, v)
	}
	names := make([]string, len(r.Features))
	for i, ft := range r.Features {
		names[i] = ft.Name
	}
	fmt.Fprintf(e.stdout, "features (%d): %s\n", len(names), strings.Join(names, ", "))
	return nil
}

func modelImportXGBoost(e env, args []string) error {
	fs := newFlagSet(e, "model import-xgboost", "--in XGB.json --features a,b,c --out MODEL",
		"vigil model import-xgboost --in xgb.json --features TX_AMOUNT,TX_DURING_WEEKEND,TX_DURING_NIGHT --out model.json")
	in := fs.String("in", "", "the XGBoost JSON model (save_model(\"m.json\")) (required)")
	names := fs.String("features", "", "comma list naming the model's inputs in order, by vigil's or the handbook's names (required)")
	out := fs.String("out", "", "the vigil model file to write (required)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" || *out == "" || *names == "" {
		fmt.Fprintln(e.stderr, "vigil model import-xgboost: --in, --features and --out are required")
		return errUsage
	}
	list := strings.Split(*names, ",")
	known := map[string]string{}
	for _, d := range feature.Defs() {
		known[d.Name], known[d.Handbook] = d.Version, d.Version
	}
	feats := make([]model.Feature, len(list))
	for i, n := range list {
		n = strings.TrimSpace(n)
		v, ok := known[n]
		if !ok || n == "" {
			return fmt.Errorf("--features: %q is not a feature vigil computes", n)
		}
		feats[i] = model.Feature{Name: n, Version: v}
		list[i] = n
	}
	fh, err := os.Open(*in) // #nosec G304 -- the operator names the file
	if err != nil {
		return err
	}
	defer fh.Close()
	g, err := model.ImportXGBoost(fh, list)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	key, err := signingKey(e)
	if err != nil {
		return err
	}
	f := &model.File{Model: g, Features: feats, Training: model.TrainingSummary{Source: "xgboost import: " + *in}}
	if err := saveModel(*out, f, key); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d trees from %s as %s -> %s\n", g.NumTrees(), *in, f.Version(), *out)
	return nil
}

// splitPositional takes a leading positional argument off args (vigil model info FILE --json).
func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
