package model_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/vigil-fraud/vigil/internal/model"
)

// Train a model, save it signed, load it back with the public key, and score
// one transaction with its reason codes.
func Example() {
	names := []string{"amount", "night", "terminal_risk_7d"}
	rng := rand.New(rand.NewPCG(1, 1))
	train := &model.Dataset{Names: names}
	for range 5000 {
		amount, night, risk := rng.Float64()*300, float64(rng.IntN(2)), rng.Float64()
		fraud := 0.0
		if amount > 220 || (night == 1 && risk > 0.9) {
			fraud = 1
		}
		train.X = append(train.X, amount, night, risk)
		train.Y = append(train.Y, fraud)
		train.Rows++
	}
	m, err := model.TrainGBDT(context.Background(), train, nil, model.GBDTOptions{MaxTrees: 50}, nil)
	if err != nil {
		log.Fatal(err)
	}

	pub, priv, _ := ed25519.GenerateKey(nil)
	var file bytes.Buffer
	err = model.Save(&file, &model.File{Model: m, Features: model.Features(names)}, model.SaveOptions{PrivateKey: priv})
	if err != nil {
		log.Fatal(err)
	}
	f, err := model.Load(&file, model.LoadOptions{PublicKey: pub})
	if err != nil {
		log.Fatal(err)
	}

	x := []float64{250, 0, 0.2} // a large amount by day
	contrib := make([]float64, len(names))
	margin, _ := f.Model.Explain(x, contrib)
	fmt.Printf("fraud probability %.2f\n", model.Probability(margin))
	for _, r := range model.TopReasons(f.Model.FeatureNames(), contrib, 3, nil) {
		fmt.Println("reason:", r.Name)
	}
	// Output:
	// fraud probability 0.99
	// reason: amount
}

// Card precision@k counts, each day, the frauded customers among the k most
// suspicious ones, leaving out those already caught on earlier days.
func ExampleCardPrecisionAtK() {
	day := []int{0, 0, 0, 1, 1}
	customer := []string{"ann", "bob", "cid", "ann", "bob"}
	score := []float64{0.9, 0.8, 0.1, 0.95, 0.3}
	fraud := []bool{true, false, true, true, false}
	mean, perDay, err := model.CardPrecisionAtK(day, customer, score, fraud, 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range perDay {
		fmt.Printf("day %d: %.1f\n", d.Day, d.Precision)
	}
	fmt.Printf("mean %.2f\n", mean)
	// Output:
	// day 0: 0.5
	// day 1: 0.0
	// mean 0.25
}
