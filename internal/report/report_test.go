package report

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-fraud/vigil/internal/browsertest"
)

func sampleModel() Model {
	r := rand.New(rand.NewPCG(1, 2))
	var legit, fraud []float64
	for range 2000 {
		legit = append(legit, r.Float64()*0.4)
	}
	for range 40 {
		fraud = append(fraud, 0.3+r.Float64()*0.7)
	}
	return Model{
		Title:       "vigil model report <test>",
		Generated:   time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		ModelFields: []Field{{"version", "gbdt-abc123"}, {"trees", "120"}},
		DataFields:  []Field{{"classification", "synthetic"}, {"rows", "2040"}},
		Folds: []Fold{{Name: "fold 1", TrainPeriod: "2018-07-25 .. 2018-07-31", TestPeriod: "2018-08-08 .. 2018-08-14",
			Metrics: Metrics{AUCROC: 0.91, AveragePrecision: 0.76, CardPrecisionAt100: 0.33, Transactions: 2040, Frauds: 40}}},
		Mean:       Metrics{AUCROC: 0.91, AveragePrecision: 0.76, CardPrecisionAt100: 0.33},
		Baselines:  []Baseline{{Name: "XGBoost", Source: "handbook", Metrics: Metrics{AUCROC: 0.869, AveragePrecision: 0.687, CardPrecisionAt100: 0.303, HasCardPrecision: true}}},
		ROC:        []Curve{{Name: "fold 1", Points: []Point{{0, 0}, {0.1, 0.7}, {0.3, 0.9}, {1, 1}}}},
		PR:         []Curve{{Name: "fold 1", Points: []Point{{0, 1}, {0.5, 0.8}, {0.9, 0.3}, {1, 0.02}}}},
		Legit:      legit,
		Fraud:      fraud,
		Importance: []Bar{{"terminal_risk_7d", 0.4}, {"amount", 0.3}, {"customer_amount_to_mean_30d", 0.2}},
	}
}

func TestThinKeepsEndsAndBoundsPoints(t *testing.T) {
	var pts []Point
	for i := range 100000 {
		x := float64(i) / 99999
		pts = append(pts, Point{X: x, Y: x * x})
	}
	out := thin(pts, maxCurvePoints)
	if len(out) > 2*maxCurvePoints+2 || len(out) < maxCurvePoints/2 {
		t.Fatalf("thinned to %d points", len(out))
	}
	if out[0] != pts[0] || out[len(out)-1] != pts[len(pts)-1] {
		t.Fatal("first and last points must stay")
	}
	if short := pts[:10]; len(thin(short, maxCurvePoints)) != 10 {
		t.Fatal("short curves must stay whole")
	}
}

func TestWriteModel(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteModel(&buf, sampleModel()); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`<table id="metrics">`, "0.910", "0.760", "0.330", "XGBoost", "0.869",
		"2018-08-08 .. 2018-08-14", "gbdt-abc123", "synthetic", "&lt;test&gt;", "terminal_risk_7d"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n != 4 {
		t.Errorf("report has %d SVG plots, want 4", n)
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, "http://www.w3.org") {
		t.Error("report must be self-contained: no script, no outside resource")
	}
}

// TestModelReportRendersInChromium opens the report in headless Chromium, as a person
// would, and checks that the four plots are laid out with a real size and the metrics
// table shows the figures.
func TestModelReportRendersInChromium(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	path := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := WriteModel(&buf, sampleModel()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#title")))
	if err != nil {
		t.Fatalf("title: %v", err)
	}
	metrics, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#metrics")))
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	plots, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]float64](
		`[...document.querySelectorAll('svg')].map(s => {const r = s.getBoundingClientRect(); return {w: r.width, h: r.height}})`))
	if err != nil {
		t.Fatalf("plots: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if title != "vigil model report <test>" {
		t.Errorf("title = %q", title)
	}
	if !strings.Contains(metrics, "0.910") || !strings.Contains(metrics, "card precision@100") {
		t.Errorf("metrics table = %q", metrics)
	}
	if len(plots) != 4 {
		t.Fatalf("rendered %d plots, want 4", len(plots))
	}
	for i, p := range plots {
		if p["w"] < 200 || p["h"] < 100 {
			t.Errorf("plot %d rendered at %vx%v, too small to read", i, p["w"], p["h"])
		}
	}
	if len(shot) < 10000 {
		t.Errorf("screenshot is only %d bytes", len(shot))
	}
	if dir := os.Getenv("VIGIL_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "model-report.png"), shot, 0o600)
	}
}
