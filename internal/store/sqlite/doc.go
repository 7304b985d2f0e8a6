// Package sqlite is vigil's embedded durable store: decisions with their transactions, labels,
// API keys, the audit log, the review queue, lists and retention, in one SQLite file, through
// the pure-Go driver modernc.org/sqlite (no cgo).
//
// It implements the fraud store interfaces and passes the conformance suite in
// fraud/storetest. It does not compute the audit hash chain (package audit does), choose
// retention periods or read keys from the environment: the caller passes a seal.Sealer.
//
// # Durability
//
// The database runs in WAL mode. Every write but the decision writer's commits with
// synchronous=FULL: the commit appends its pages and a commit record to the write-ahead log
// and fsyncs the log before it returns. When SaveDecision (or any other write) returns nil,
// the data is on stable storage and survives a crash of the process, of the operating
// system or a power loss, provided the disk honours fsync.
//
// # Group commit
//
// SaveDecision does not write itself. It validates, seals and encodes the row in the
// caller's goroutine, then queues it for one writer goroutine. The writer takes every queued
// request (up to Options.MaxBatch, waiting at most Options.MaxDelay for more, by default not
// at all) and writes them in one SQLite transaction on its own connection, which commits
// without fsync (synchronous=NORMAL). It hands the committed batch to a syncer goroutine,
// which fsyncs the log (once for every batch committed since its last fsync) and only then
// wakes every caller of the batch with its own result; meanwhile the writer writes the next
// batch. So the guarantee above holds for decisions too, and the writer does not sit idle
// while the disk works. Under synchronous=NORMAL SQLite itself still fsyncs the log before
// each checkpoint, the database after it, and the log's header when the log starts over, so
// a crash before the syncer's fsync loses only decisions nobody was told were stored, and
// never corrupts the database. If the fsync fails, the batch's callers get the error and
// the store refuses every later decision (an fsync error means the kernel may have dropped
// the pages; nothing written since can be trusted to be on disk), including those already
// queued or committed behind the failed batch: a later fsync that succeeds does not make
// them durable, since recovery stops at the first gap in the log.
//
// A request that fails is undone alone and reported to its caller while the rest of the
// batch commits: a duplicate (ErrConflict) through ON CONFLICT DO NOTHING and the rows it
// did not write; any other failure by writing the batch again with one SAVEPOINT per
// request (kept off the common path: savepoints cost a third of the writer's time). If the
// commit itself fails, every caller of the batch gets the error and nothing of the batch is
// stored. Under load, batches grow by themselves while the previous batch is written and
// fsynced, so throughput scales with concurrency at no cost in latency for a lone writer.
//
// Close stops accepting requests, lets the writer finish everything already queued (each
// caller still gets its result), then closes the database.
//
// # Checkpoints and the size of the log
//
// A background checkpointer copies the log into the database every Options.CheckpointEvery
// (PASSIVE: it never blocks the writer; 20 ms by default, so that each copy and the fsync
// of the database after it stay short: the log's fsyncs wait behind that one on the disk;
// while nothing is written it waits longer, up to 250 ms). SQLite
// starts the log over only when a writer begins after a checkpoint has copied all of it,
// which a writer that commits without a pause never allows: once the log holds more than
// 64 MiB, the writer runs one small checkpoint itself between two batches, and its next
// commit starts the log over (journal_size_limit cuts the file back to 64 MiB). Long
// deletions (Purge) run in batches of 500 transactions between which decisions are written.
// checkpoint.go and retention.go hold the measurements behind each of these.
//
// # Security
//
// The database file (and its -wal and -shm files, which SQLite creates with the same mode) is
// created with mode 0600 in a directory created with mode 0700. Sensitive values are sealed
// with AES-256-GCM before they reach SQLite (columns named sealed_*): the transaction's card
// token, device id, IP address and attributes; the decision's reasons, rule hits and feature
// values (they describe a person's behaviour); a case's free-text note. Identifiers used for
// lookups (pseudonymous customer id, terminal id, list items) stay in clear so they can be
// indexed; they are pseudonyms already. Every statement is a constant string with ?
// parameters: no value is ever written into SQL text. secure_delete is on, so purged and
// erased rows are overwritten with zeros, and the log is checkpointed after an erasure.
//
// To rotate the data key, open the store with a Sealer whose current key is the new one and
// whose previous key is the old one (seal.New(newKey, oldKey)), run Reseal, then restart
// with the new key alone.
//
// # Schema
//
// Migrations are embedded (migrations/NNNN_name.sql), applied in order inside one
// transaction and recorded in schema_migrations; applying them again changes nothing.
package sqlite
