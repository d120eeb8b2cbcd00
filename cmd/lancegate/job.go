package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/jobs"
)

// jobConfig holds the flags of `lancegate job`.
type jobConfig struct {
	commonConfig
	typ     string
	table   string
	id      string
	version uint64
	reason  string
}

// job runs one maintenance job to the end: the command of the pods the
// Kubernetes launcher creates, and a tool for operators. It exits 0 when
// the job succeeded, found nothing to do, or another job holds the table
// (that one does the work), and 1 when the job failed (Kubernetes then
// retries it up to the Job's backoff limit).
func job(ctx context.Context, args []string, stderr io.Writer) error {
	c := &jobConfig{}
	fs := flag.NewFlagSet("job", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.commonConfig.register(fs)
	fs.StringVar(&c.typ, "type", "", "job type: compact, cleanup or index")
	fs.StringVar(&c.table, "table", "", "table to work on")
	fs.StringVar(&c.id, "job-id", "", "job id (its history record); empty makes a new one")
	fs.Uint64Var(&c.version, "version", 0, "table version the job was decided on (for the history)")
	fs.StringVar(&c.reason, "reason", "", "why the job was launched (for the history)")
	if ok, err := parseFlags(fs, args); !ok || err != nil {
		return err
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	switch agent.JobType(c.typ) {
	case agent.JobCompact, agent.JobCleanup, agent.JobIndex:
	default:
		return fmt.Errorf("--type %q: want compact, cleanup or index", c.typ)
	}
	if c.table == "" {
		return errors.New("--table is required")
	}
	if c.id == "" {
		c.id = jobs.NewID(time.Now())
	}
	_, _, cat, err := c.openStorage(ctx, logger)
	if err != nil {
		return err
	}
	kcfg, kafka, err := c.kafkaConfig(logger)
	if err != nil {
		return err
	}
	var pub events.Publisher
	if kafka {
		kp, closePub, err := startPublisher(ctx, kcfg, logger)
		if err != nil {
			return err
		}
		defer closePub()
		pub = kp
	}
	name, _ := os.Hostname()
	policy, err := c.maintenancePolicy()
	if err != nil {
		return err
	}
	runner := agent.NewRunner(cat, agent.RunnerConfig{Policy: policy, Publisher: pub, Logger: logger, StorageURI: c.storage, Name: name, Indexer: agent.IVFPQIndexer{}})
	// Created stays zero: the runner keeps the time of the agent's
	// pending record, or takes the start time for a job run by hand.
	spec := agent.JobSpec{ID: c.id, Table: c.table, Type: agent.JobType(c.typ), Version: c.version, Reason: c.reason}
	rec, err := runner.Run(ctx, spec)
	if errors.Is(err, agent.ErrLeaseHeld) {
		logger.Info("another job holds the table; nothing to do", "job", c.id, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", c.id, err)
	}
	logger.Info("job done", "job", rec.ID, "state", rec.State, "version", rec.Version, "stats", rec.Stats)
	return nil
}
