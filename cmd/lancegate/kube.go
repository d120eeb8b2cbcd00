package main

import (
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lancegate/lancegate/agent/kube"
)

// kubeFlags configure the Kubernetes job launcher (--job-launcher
// kubernetes). Job pods get the storage root and the non-secret event
// flags on their command line; secrets (storage keys, SASL passwords,
// connection strings) reach them as environment from the secret and
// config map named here, which the agent's own pod should use too.
type kubeFlags struct {
	image            string
	namespace        string
	serviceAccount   string
	workloadIdentity bool
	envSecret        string
	envConfigMap     string
	instance         string
}

func (k *kubeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.image, "job-image", "", "image of job pods (kubernetes launcher), e.g. myregistry.azurecr.io/lancegate:v0.1.0")
	fs.StringVar(&k.namespace, "job-namespace", "", "namespace of job pods (default: the agent pod's)")
	fs.StringVar(&k.serviceAccount, "job-service-account", "", "service account of job pods (the workload-identity one)")
	fs.BoolVar(&k.workloadIdentity, "job-workload-identity", true, "label job pods for AKS workload identity")
	fs.StringVar(&k.envSecret, "job-env-secret", "", "secret whose keys become job pods' environment (LANCEGATE_*, AZURE_*)")
	fs.StringVar(&k.envConfigMap, "job-env-configmap", "", "config map whose keys become job pods' environment")
	fs.StringVar(&k.instance, "job-instance", "", "release name labelling job pods (app.kubernetes.io/instance)")
}

// jobArgs are the flags every job pod gets after its own.
func jobArgs(c commonConfig) []string {
	args := []string{"--storage", c.storage, "--log-level", c.logLevel}
	if c.kafkaBrokers != "" {
		args = append(args, "--kafka-brokers", c.kafkaBrokers, "--kafka-topic", c.kafkaTopic)
	}
	if c.eventHubsNS != "" {
		args = append(args, "--eventhubs-namespace", c.eventHubsNS, "--kafka-topic", c.kafkaTopic)
	}
	// The global policy, so jobs plan as the agent decided.
	for _, k := range slices.Sorted(maps.Keys(c.policy)) {
		args = append(args, "--policy", k+"="+c.policy[k])
	}
	// --kafka-option, --storage-option and the Event Hubs connection
	// string may hold secrets: they travel as environment (--job-env-*).
	return args
}

// launcher returns the Kubernetes launcher, in the cluster the agent runs
// in.
func (k *kubeFlags) launcher(c commonConfig, logger *slog.Logger) (*kube.Launcher, error) {
	if k.image == "" {
		return nil, fmt.Errorf("--job-launcher kubernetes needs --job-image")
	}
	if strings.HasPrefix(c.storage, "./") || strings.HasPrefix(c.storage, "/") || strings.HasPrefix(c.storage, "memory:") {
		logger.Warn("job pods see --storage as given; a local folder or memory:// is not shared with them", "storage", c.storage)
	}
	cfg := kube.Config{
		Namespace: k.namespace, Image: k.image, ServiceAccount: k.serviceAccount,
		WorkloadIdentity: k.workloadIdentity, Instance: k.instance, Args: jobArgs(c),
	}
	if k.envSecret != "" {
		cfg.EnvFrom = append(cfg.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: k.envSecret}}})
	}
	if k.envConfigMap != "" {
		cfg.EnvFrom = append(cfg.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: k.envConfigMap}}})
	}
	l, err := kube.NewInCluster(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("--job-launcher kubernetes: %w", err)
	}
	return l, nil
}
