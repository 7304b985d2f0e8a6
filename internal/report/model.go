package report

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// Metrics are the handbook's three figures for one test period (or their mean or std).
type Metrics struct {
	AUCROC             float64
	AveragePrecision   float64
	CardPrecisionAt100 float64
	Transactions       int
	Frauds             int
	HasCardPrecision   bool
}

// Fold is one train/test period of an evaluation.
type Fold struct {
	Name        string // e.g. "fold 1"
	TrainPeriod string // e.g. "2018-07-25 .. 2018-07-31"
	TestPeriod  string
	Metrics     Metrics
}

// Baseline is a published or yardstick figure shown beside ours.
type Baseline struct {
	Name    string
	Source  string
	Metrics Metrics
}

// Field is one labelled value of a summary table.
type Field struct {
	Name, Value string
}

// Model is everything one model report shows.
type Model struct {
	Title       string
	Generated   time.Time
	Synthetic   bool    // the data are synthetic: the page says so
	ModelFields []Field // version, kind, trees, hyper-parameters...
	DataFields  []Field // rows, frauds, periods, classification...
	Folds       []Fold
	Mean, Std   Metrics
	Baselines   []Baseline
	ROC, PR     []Curve   // one curve per fold (or one pooled)
	Legit       []float64 // test scores of legitimate transactions
	Fraud       []float64 // test scores of fraudulent transactions
	Importance  []Bar     // feature importance, largest first
}

type modelView struct {
	Model
	ROCSVG, PRSVG, HistSVG, ImportanceSVG template.HTML
}

// WriteModel renders m as one self-contained HTML page.
func WriteModel(w io.Writer, m Model) error {
	v := modelView{Model: m}
	var err error
	if v.ROCSVG, err = LineChart("ROC curve (test)", "false positive rate", "true positive rate", m.ROC, true); err != nil {
		return fmt.Errorf("roc plot: %w", err)
	}
	if v.PRSVG, err = LineChart("Precision-recall curve (test)", "recall", "precision", m.PR, false); err != nil {
		return fmt.Errorf("precision-recall plot: %w", err)
	}
	groups := []Curve{{Name: "legitimate", Points: asPoints(m.Legit)}, {Name: "fraud", Points: asPoints(m.Fraud)}}
	if v.HistSVG, err = Histogram("Score distribution per class (test)", "score", groups, 50); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if v.ImportanceSVG, err = BarChart("Feature importance (share of mean |contribution| on test)", "share", m.Importance); err != nil {
		return fmt.Errorf("importance plot: %w", err)
	}
	return modelTemplate.Execute(w, v)
}

func asPoints(xs []float64) []Point {
	out := make([]Point, len(xs))
	for i, x := range xs {
		out[i] = Point{X: x}
	}
	return out
}

var modelTemplate = template.Must(template.New("model").Funcs(template.FuncMap{
	"f3": func(x float64) string { return fmt.Sprintf("%.3f", x) },
	"ts": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:2rem auto;max-width:72rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid>div{flex:1 1 30rem}
.note{color:#666;font-size:.9rem}svg{max-width:100%;height:auto}
</style></head><body>
<h1 id="title">{{.Title}}</h1>
<p class="note">Generated {{ts .Generated}}.{{if .Synthetic}} Synthetic data only.{{end}}</p>

<h2>Metrics</h2>
<table id="metrics"><tr><th>period</th><th>train</th><th>test</th><th>transactions</th><th>frauds</th><th>AUC ROC</th><th>average precision</th><th>card precision@100</th></tr>
{{range .Folds}}<tr><td>{{.Name}}</td><td>{{.TrainPeriod}}</td><td>{{.TestPeriod}}</td><td>{{.Metrics.Transactions}}</td><td>{{.Metrics.Frauds}}</td><td>{{f3 .Metrics.AUCROC}}</td><td>{{f3 .Metrics.AveragePrecision}}</td><td>{{f3 .Metrics.CardPrecisionAt100}}</td></tr>
{{end}}<tr><th>mean</th><th></th><th></th><th></th><th></th><th>{{f3 .Mean.AUCROC}}</th><th>{{f3 .Mean.AveragePrecision}}</th><th>{{f3 .Mean.CardPrecisionAt100}}</th></tr>
<tr><th>std</th><th></th><th></th><th></th><th></th><th>{{f3 .Std.AUCROC}}</th><th>{{f3 .Std.AveragePrecision}}</th><th>{{f3 .Std.CardPrecisionAt100}}</th></tr>
</table>
{{if .Baselines}}<h2>Beside other models</h2>
<table id="baselines"><tr><th>model</th><th>source</th><th>AUC ROC</th><th>average precision</th><th>card precision@100</th></tr>
{{range .Baselines}}<tr><td>{{.Name}}</td><td>{{.Source}}</td><td>{{f3 .Metrics.AUCROC}}</td><td>{{f3 .Metrics.AveragePrecision}}</td><td>{{if .Metrics.HasCardPrecision}}{{f3 .Metrics.CardPrecisionAt100}}{{else}}-{{end}}</td></tr>
{{end}}</table>{{end}}

<h2>Curves</h2>
<div class="grid"><div id="roc">{{.ROCSVG}}</div><div id="pr">{{.PRSVG}}</div></div>
<h2>Scores</h2>
<div class="grid"><div id="histogram">{{.HistSVG}}</div><div id="importance">{{.ImportanceSVG}}</div></div>

<h2>Model</h2>
<table id="model">{{range .ModelFields}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>{{end}}</table>
<h2>Data</h2>
<table id="data">{{range .DataFields}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>{{end}}</table>
</body></html>
`))
