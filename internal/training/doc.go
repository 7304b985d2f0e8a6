// Package training turns a transaction history into trained and evaluated models, following
// the Fraud Detection Handbook's protocol so that vigil's figures mean what its figures mean.
//
// Collect replays a history through the feature engine (the same engine that serves, so
// there is no train/serve skew) and keeps the feature rows of the period asked for. Train
// fits a model on a training period; Evaluate scores a test period and computes AUC ROC,
// average precision and card precision@100 on the handbook's test set (customers known to
// be compromised before a test day are excluded). Folds repeats train + evaluate over
// consecutive weeks.
//
// The package owns the protocol, not the algorithms (package model) nor the feature
// definitions (package feature).
package training
