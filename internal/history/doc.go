// Package history reads and writes transaction histories: the files that vigil generates,
// replays through its feature engine and trains on.
//
// Three layouts are supported, chosen by file extension and header:
//   - vigil CSV (.csv): one header line naming vigil's columns, preceded by a metadata
//     line "# classification=synthetic key=value ...";
//   - JSON Lines (.jsonl, .ndjson): one transaction object per line with "fraud" and
//     "fraud_scenario", the first line {"_meta": {...}};
//   - the Fraud Detection Handbook's CSV layout (TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID,
//     TERMINAL_ID, TX_AMOUNT, TX_TIME_SECONDS, TX_TIME_DAYS, TX_FRAUD, TX_FRAUD_SCENARIO),
//     recognised by its header, so the public benchmark's data is read unchanged.
//
// Every record read is validated like an API request; a bad one is reported with its line
// number and field paths. Writers go to a temporary file renamed into place on Commit, so
// a failed run leaves nothing half-written behind. The package does not generate data
// (see synth) or compute features (see feature).
package history
