package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/lancegate/lancegate/agent"
)

// ErrJobActive reports that a Job for the same table and job type is still
// pending or running, so Launch created none. Test it with errors.Is.
var ErrJobActive = errors.New("a job for this table and type is still active")

// Launcher runs each job as a Kubernetes Job in one namespace. It holds no
// state besides its config and client, so one Launcher serves any number
// of goroutines, and agent replicas each use their own.
type Launcher struct {
	client kubernetes.Interface
	cfg    Config
	logger *slog.Logger
	// now is the clock Cleanup measures ages with; tests replace it
	// through export_test.go.
	now func() time.Time
}

var _ agent.Launcher = (*Launcher)(nil)

// New returns a Launcher that creates Jobs through client. It fills in the
// defaults of cfg (see Config) and returns an error naming every invalid
// field; Image and Namespace are required. A nil logger discards logs.
func New(client kubernetes.Interface, cfg Config, logger *slog.Logger) (*Launcher, error) {
	if client == nil {
		return nil, errors.New("kube: nil client")
	}
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Launcher{client: client, cfg: c, logger: logger, now: time.Now}, nil
}

// namespaceFile is where Kubernetes mounts the pod's own namespace.
const namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// NewInCluster returns a Launcher for the agent running in a pod: it talks
// to the API server with the pod's service account (rest.InClusterConfig),
// and an empty cfg.Namespace means the pod's own namespace.
func NewInCluster(cfg Config, logger *slog.Logger) (*Launcher, error) {
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("kube: in-cluster config: %w", err)
	}
	rc.UserAgent = "lancegate-agent"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube: client: %w", err)
	}
	if cfg.Namespace == "" {
		ns, err := os.ReadFile(namespaceFile)
		if err != nil {
			return nil, fmt.Errorf("kube: no Namespace configured and the pod's is unknown: %w", err)
		}
		cfg.Namespace = strings.TrimSpace(string(ns))
	}
	return New(client, cfg, logger)
}

// Launch creates the Job that runs spec and returns once the API server
// has accepted it; the job writes its own history record. Launching the
// same spec again is a no-op: its Job has the same name (JobName), so an
// existing one, running or finished, counts as launched. Launch returns an
// error wrapping ErrJobActive, and creates nothing, when another Job for
// the same table and type has not finished. That check is a cheap second
// guard: the agent's storage lease is the one that holds across replicas
// and races.
func (l *Launcher) Launch(ctx context.Context, spec agent.JobSpec) error {
	if spec.ID == "" || spec.Table == "" || spec.Type == "" {
		return fmt.Errorf("kube: launch: job spec needs an id, a table and a type (got id %q, table %q, type %q)", spec.ID, spec.Table, spec.Type)
	}
	name := l.JobName(spec)
	log := l.logger.With("job", spec.ID, "table", spec.Table, "type", string(spec.Type), "namespace", l.cfg.Namespace, "k8s_job", name)

	existing, err := l.list(ctx, l.specSelector(spec))
	if err != nil {
		return fmt.Errorf("kube: launch %s: %w", name, err)
	}
	for i := range existing {
		j := &existing[i]
		if j.Name == name {
			log.Debug("kubernetes job already exists")
			return nil
		}
		if j.Annotations[AnnotationTable] == spec.Table && !finished(j) && j.DeletionTimestamp == nil {
			return fmt.Errorf("kube: launch %s: %w: job %s (kubernetes job %s)", name, ErrJobActive, j.Annotations[AnnotationJobID], j.Name)
		}
	}

	_, err = l.client.BatchV1().Jobs(l.cfg.Namespace).Create(ctx, l.manifest(spec), metav1.CreateOptions{FieldManager: managedBy})
	if apierrors.IsAlreadyExists(err) {
		log.Debug("kubernetes job already exists")
		return nil
	}
	if err != nil {
		return fmt.Errorf("kube: create job %s in %s: %w", name, l.cfg.Namespace, err)
	}
	log.Info("kubernetes job created")
	return nil
}

// listPage bounds one List response; a namespace rarely holds more
// lancegate Jobs than this, TTL removes them within an hour.
const listPage = 500

// list returns the Jobs in the namespace that carry all labels in sel,
// following continue tokens.
func (l *Launcher) list(ctx context.Context, sel map[string]string) ([]batchv1.Job, error) {
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String(), Limit: listPage}
	var out []batchv1.Job
	for {
		page, err := l.client.BatchV1().Jobs(l.cfg.Namespace).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list jobs in %s: %w", l.cfg.Namespace, err)
		}
		out = append(out, page.Items...)
		if page.Continue == "" {
			return out, nil
		}
		opts.Continue = page.Continue
	}
}
