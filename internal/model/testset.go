package model

import (
	"fmt"
	"slices"
)

// TrainTestOptions places the periods of TrainTestSplit, in whole days.
type TrainTestOptions struct {
	StartDay  int // first training day
	TrainDays int // length of the training period; default 7
	DelayDays int // gap between training and test, when labels are not yet known; 0 is none
	TestDays  int // length of the test period; default 7
}

// TrainTestSplit builds the training and test sets of the Fraud Detection
// Handbook's protocol (get_train_test_set) over plain slices: row i is a
// transaction of customer[i] on day[i], fraudulent when fraud[i].
//
// Training rows are those with StartDay <= day < StartDay+TrainDays. Test day
// d (0 <= d < TestDays) is day s+TrainDays+DelayDays+d, where s is StartDay;
// its rows are kept unless their customer is already known to be compromised:
// known from a fraud in the training rows, or in day s+TrainDays+d-1 and the
// days before it that this rule has reached. Both index lists are in
// increasing row order. Errors wrap ErrInvalidData.
//
// The handbook's code anchors s at the first day that has training rows; on
// its data, and on any history whose first training day has payments, that is
// StartDay. Anchoring at StartDay keeps the test period where the caller put
// it (training.Period) when that day is empty.
func TrainTestSplit(day []int, customer []string, fraud []bool, o TrainTestOptions) (train, test []int, err error) {
	if len(customer) != len(day) || len(fraud) != len(day) {
		return nil, nil, fmt.Errorf("%w: split inputs differ in length: %d days, %d customers, %d labels",
			ErrInvalidData, len(day), len(customer), len(fraud))
	}
	if o.TrainDays == 0 {
		o.TrainDays = 7
	}
	if o.TestDays == 0 {
		o.TestDays = 7
	}
	if o.TrainDays < 0 || o.DelayDays < 0 || o.TestDays < 0 {
		return nil, nil, fmt.Errorf("%w: negative period in %+v", ErrInvalidData, o)
	}
	byDay := make(map[int][]int)
	known := make(map[string]bool)
	start := o.StartDay
	for i, d := range day {
		byDay[d] = append(byDay[d], i)
		if d >= o.StartDay && d < o.StartDay+o.TrainDays {
			train = append(train, i)
			if fraud[i] {
				known[customer[i]] = true
			}
		}
	}
	for d := range o.TestDays {
		for _, i := range byDay[start+o.TrainDays+d-1] {
			if fraud[i] {
				known[customer[i]] = true
			}
		}
		for _, i := range byDay[start+o.TrainDays+o.DelayDays+d] {
			if !known[customer[i]] {
				test = append(test, i)
			}
		}
	}
	slices.Sort(test)
	return train, test, nil
}
