// Package report writes the self-contained HTML reports people read instead of numbers:
// the model report of `vigil evaluate --report` (ROC and precision-recall curves, score
// histograms per class, feature importance, the metrics table and the data summary).
//
// Plots are drawn with gonum/plot as inline SVG, so a report is one file with no script
// and no outside resource, safe to open anywhere. The package computes no metric itself:
// callers pass the curves and figures they computed (see package model).
package report
