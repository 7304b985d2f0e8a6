package model

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestCardPrecisionAtKHandComputed(t *testing.T) {
	// Rows are deliberately out of day order.
	type tx struct {
		day   int
		cust  string
		score float64
		fraud bool
	}
	rows := []tx{
		{3, "F", 0.3, true},
		{0, "A", 0.9, true},
		{1, "A", 0.95, true}, // A was detected on day 0: dropped
		{0, "A", 0.2, false}, // A's max score 0.9, max label fraud
		{0, "B", 0.8, false},
		{1, "C", 0.6, true},
		{0, "C", 0.7, true},
		{1, "E", 0.6, false}, // ties with C; C ranks first by identifier
		{0, "D", 0.1, true},
		{2, "A", 0.5, true}, // the only customer of day 2, already detected
	}
	var day []int
	var cust []string
	var score []float64
	var label []bool
	for _, r := range rows {
		day, cust, score, label = append(day, r.day), append(cust, r.cust), append(score, r.score), append(label, r.fraud)
	}
	// k = 2:
	// day 0: A(.9,F) B(.8) C(.7,F) D(.1,F) → top A,B → 1/2; detected {A}; 3 compromised
	// day 1: C(.6,F) E(.6) → top C,E → 1/2; detected {A,C}; 1 compromised
	// day 2: nobody left → 0/2
	// day 3: F(.3,F) → 1/2 (divided by k although only one customer)
	mean, perDay, err := CardPrecisionAtK(day, cust, score, label, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []DayPrecision{
		{Day: 0, Precision: 0.5, Detected: 1, Compromised: 3},
		{Day: 1, Precision: 0.5, Detected: 1, Compromised: 1},
		{Day: 2, Precision: 0, Detected: 0, Compromised: 0},
		{Day: 3, Precision: 0.5, Detected: 1, Compromised: 1},
	}
	if !slices.Equal(perDay, want) {
		t.Errorf("per day = %+v\nwant      %+v", perDay, want)
	}
	if mean != 0.375 {
		t.Errorf("mean = %v, want 0.375", mean)
	}
}

func TestCardPrecisionAtKTies(t *testing.T) {
	// Equal scores rank by customer identifier: "a" (genuine) before "z" (fraud).
	mean, _, err := CardPrecisionAtK([]int{5, 5}, []string{"z", "a"}, []float64{0.5, 0.5}, []bool{true, false}, 1)
	if err != nil || mean != 0 {
		t.Fatalf("mean = %v, %v; want 0 (tie broken towards \"a\")", mean, err)
	}
	mean, _, err = CardPrecisionAtK([]int{5, 5}, []string{"a", "z"}, []float64{0.5, 0.5}, []bool{true, false}, 1)
	if err != nil || mean != 1 {
		t.Fatalf("mean = %v, %v; want 1", mean, err)
	}
}

func TestCardPrecisionAtKRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		day   []int
		cust  []string
		score []float64
		label []bool
		k     int
	}{
		{"lengths", []int{1}, []string{"a", "b"}, []float64{1}, []bool{true}, 1},
		{"empty", nil, nil, nil, nil, 1},
		{"k zero", []int{1}, []string{"a"}, []float64{1}, []bool{true}, 0},
		{"NaN", []int{1}, []string{"a"}, []float64{math.NaN()}, []bool{true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := CardPrecisionAtK(tt.day, tt.cust, tt.score, tt.label, tt.k); !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
		})
	}
}

func TestTrainTestSplit(t *testing.T) {
	day := []int{0, 1, 2, 3, 3, 4, 4, 5, -1}
	cust := []string{"A", "B", "C", "A", "C", "C", "B", "B", "A"}
	fraud := []bool{true, false, true, false, false, false, false, false, false}
	// Train days 0-1; delay day 2; test days 3-4.
	// Test day 3: known {A} (training) plus frauds of day 1 (none): A dropped, C kept.
	// Test day 4: frauds of day 2 add C: C dropped, B kept. Day 5 is past the test period.
	train, test, err := TrainTestSplit(day, cust, fraud, TrainTestOptions{StartDay: 0, TrainDays: 2, DelayDays: 1, TestDays: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train, []int{0, 1}) || !slices.Equal(test, []int{4, 6}) {
		t.Errorf("train %v test %v, want [0 1] and [4 6]", train, test)
	}
	if _, _, err := TrainTestSplit(day, cust[:2], fraud, TrainTestOptions{}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("mismatched lengths: err = %v", err)
	}
}
