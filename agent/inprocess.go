package agent

import (
	"context"
	"errors"
	"log/slog"
)

// InProcess runs each job in the agent's own process, in the goroutine
// that launches it: the launcher of the embedded default. Launch returns
// when the job has finished, so the events that led to it are committed
// only after its work is done, and an agent that dies mid-job leaves them
// to be delivered again. The job's own outcome (failed or not) is in its
// history record; Launch fails only when the job could not start.
type InProcess struct {
	runner *Runner
	logger *slog.Logger
}

// NewInProcess returns a launcher that runs jobs with runner.
func NewInProcess(runner *Runner, logger *slog.Logger) *InProcess {
	if logger == nil {
		logger = slog.Default()
	}
	return &InProcess{runner: runner, logger: logger}
}

// Launch implements Launcher.
func (l *InProcess) Launch(ctx context.Context, spec JobSpec) error {
	_, err := l.runner.Run(ctx, spec)
	if errors.Is(err, ErrLeaseHeld) {
		// Another job took over (ours expired before it could start):
		// that one does the work.
		l.logger.Info("job not started: another job holds the table", "job", spec.ID, "err", err)
		return nil
	}
	if err != nil && ctx.Err() == nil {
		l.logger.Debug("in-process job failed", "job", spec.ID, "err", err)
	}
	return nil
}
