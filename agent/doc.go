// Package agent keeps tables healthy in the background: it consumes the
// write events query nodes publish, reconciles each table against its
// maintenance policy and launches the jobs that bring it back to the
// policy — compaction (remapping vector indexes), cleanup of old
// versions, and index builds (IVFPQIndexer: indexes declared with CREATE
// INDEX, an automatic IVF_PQ index for vector columns of tables above
// 100,000 rows, delta segments for appended rows, merges and retraining).
//
// # How data flows
//
//	query node commit ─▶ storage/events (Kafka, Event Hubs, in-process bus)
//	      ─▶ Agent.Run: Fetch ─▶ Reconcile(table) per table ─▶ Commit offsets
//	      + Sweep every SweepInterval (default 10 min): every table, plus cleanup
//	Reconcile: open the newest version ─▶ Policy.Effective(dataset config)
//	      ─▶ decide ─▶ lease (per table and job type) ─▶ record "pending"
//	      ─▶ Launcher.Launch: InProcess (goroutines) or agent/kube (Kubernetes Jobs
//	         running `lancegate job --type … --table …`)
//	Runner.Run (in the job): renew the lease ─▶ record "running" ─▶ work on the
//	      newest version ─▶ commit a new version ─▶ record the outcome
//	      ─▶ publish the new version's event ─▶ release the lease
//
// # Level-triggered
//
// An event is a hint that a table changed, never an instruction: every
// decision re-reads the table's current manifest. A lost event (the
// publisher dropped it, the broker was down) costs latency until the next
// sweep; a duplicated one costs a manifest read. Offsets are committed once
// the events' tables have been reconciled, so an agent that dies mid-batch
// leaves the batch to the group's next owner of the partition.
//
// # At most one job per table and type
//
// The guard is a lease in storage (see Leases), not in any process's
// memory: agent replicas in one consumer group and job pods on any node
// see the same objects. The agent takes the lease in the job's name before
// launching it (with PendingTTL, the time a pod may take to start); the
// job renews it while it works and releases it when done, after writing its
// final record. A job that dies stops renewing: its lease expires, the
// next sweep marks its record failed (reap) and, since the table still
// needs the work, launches it again. A job is idempotent: it plans from
// the newest version each time, and its commit is one Lance transaction,
// so a crash before the commit leaves the previous version current and
// only unreferenced files behind (which cleanup removes once they are
// older than its retention). Cleanup waits while a compaction or index
// build holds the table, since it may delete the files they read.
//
// # Policies
//
// Global defaults (DefaultPolicy) are overridden per table by the
// lancegate.* keys of the dataset's config (see Policy). Compaction
// rewrites small fragments (fewer live rows than the target) and
// fragments with many deleted rows, as Lance's compact_files does, in a
// Rewrite transaction pylance reads. Cleanup removes versions older than
// the retention (default 7 days), never the latest nor tagged versions.
//
// # History
//
// Every job writes its record to storage/jobs: pending (agent), running,
// then succeeded or failed (job). Query nodes read it as the lancegate.jobs
// table and SHOW JOBS.
package agent
