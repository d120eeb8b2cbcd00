package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/objstore"
)

// commonConfig holds the flags serve and job share: where the tables are,
// where events go, the global maintenance policy, and logging.
type commonConfig struct {
	storage       string
	options       keyValues
	logLevel      string
	kafkaBrokers  string
	kafkaTopic    string
	kafkaOptions  keyValues
	eventHubsConn string
	eventHubsNS   string
	policy        keyValues
}

// keyValues collects repeated key=value flags.
type keyValues map[string]string

func (o keyValues) String() string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// Set takes key=value, or several separated by commas (the form the
// LANCEGATE_* environment variables carry).
func (o keyValues) Set(v string) error {
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", kv)
		}
		o[k] = val
	}
	return nil
}

func (c *commonConfig) register(fs *flag.FlagSet) {
	c.options, c.kafkaOptions, c.policy = keyValues{}, keyValues{}, keyValues{}
	fs.StringVar(&c.storage, "storage", "./lancegate-data", "storage root: a folder, file:///abs/path, memory://, or az://container/prefix")
	fs.Var(c.options, "storage-option", "Azure storage option key=value, named as Lance names them (repeatable; AZURE_* environment variables are read too)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.kafkaBrokers, "kafka-brokers", "", "Kafka brokers host:port,... for write events (absent: the in-process bus)")
	fs.StringVar(&c.kafkaTopic, "kafka-topic", events.DefaultTopic, "Kafka topic (Event Hubs: the event hub) of write events")
	fs.Var(c.kafkaOptions, "kafka-option", "Kafka client option key=value: sasl.mechanism, sasl.username, sasl.password, tls, tls.ca_file, partitions, create_topic, … (repeatable)")
	fs.StringVar(&c.eventHubsConn, "eventhubs-connection-string", "", "Azure Event Hubs connection string: events over its Kafka endpoint with SASL PLAIN (instead of --kafka-brokers)")
	fs.Var(c.policy, "policy", "global maintenance policy key=value, named as the tables' lancegate.* config keys without the prefix: compaction.min_fragments=16, cleanup.older_than=168h, … (repeatable)")
	fs.StringVar(&c.eventHubsNS, "eventhubs-namespace", "", "Azure Event Hubs namespace: events over its Kafka endpoint with Entra ID tokens (workload identity; instead of --kafka-brokers)")
}

func (c *commonConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// parseFlags parses args, then the environment for flags not given.
// It reports false for -h.
func parseFlags(fs *flag.FlagSet, args []string) (bool, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return true, applyEnv(fs)
}

// applyEnv sets every flag not given on the command line from its
// LANCEGATE_<FLAG> environment variable.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := "LANCEGATE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", env, e)
			}
		}
	})
	return err
}

// openStorage opens the storage root and returns it with the opener of
// table locations and the catalog of its tables.
func (c *commonConfig) openStorage(ctx context.Context, logger *slog.Logger) (objstore.Store, *objstore.Opener, *catalog.Catalog, error) {
	// Azure options apply to an Azure root and to tables created WITH
	// (location = …) in other containers and accounts.
	azureOptions := objstore.AzureEnvOptions(os.Environ())
	for k, v := range c.options {
		azureOptions[k] = v
	}
	if err := objstore.ValidateAzureOptions(azureOptions); err != nil {
		return nil, nil, nil, fmt.Errorf("--storage-option: %w", err)
	}
	var rootOptions map[string]string
	if objstore.IsAzureURI(c.storage) {
		rootOptions = azureOptions
	}
	store, err := objstore.Open(ctx, c.storage, rootOptions)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--storage %s: %w", c.storage, err)
	}
	if s, ok := store.(fmt.Stringer); ok {
		logger.Info("storage opened", "location", s.String())
	}
	opener := objstore.NewOpener(azureOptions, nil)
	return store, opener, catalog.New(store, opener), nil
}

// kafkaConfig returns the Kafka configuration the flags describe, or
// false when events stay in process.
func (c *commonConfig) kafkaConfig(logger *slog.Logger) (events.KafkaConfig, bool, error) {
	var cfg events.KafkaConfig
	var err error
	set := 0
	for _, v := range []string{c.kafkaBrokers, c.eventHubsConn, c.eventHubsNS} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		if len(c.kafkaOptions) > 0 {
			return cfg, false, errors.New("--kafka-option needs --kafka-brokers or an Event Hubs namespace")
		}
		return cfg, false, nil
	case set > 1:
		return cfg, false, errors.New("give one of --kafka-brokers, --eventhubs-connection-string and --eventhubs-namespace")
	case c.kafkaBrokers != "":
		for _, b := range strings.Split(c.kafkaBrokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				cfg.Brokers = append(cfg.Brokers, b)
			}
		}
		cfg.Topic = c.kafkaTopic
	case c.eventHubsConn != "":
		topic := c.kafkaTopic
		if topic == events.DefaultTopic {
			topic = "" // the connection string's EntityPath, if it has one
		}
		if cfg, err = events.EventHubsConfig(c.eventHubsConn, topic); err != nil {
			return cfg, false, fmt.Errorf("--eventhubs-connection-string: %w", err)
		}
		if cfg.Topic == "" {
			cfg.Topic = c.kafkaTopic
		}
	default:
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return cfg, false, fmt.Errorf("--eventhubs-namespace: Azure credential: %w", err)
		}
		if cfg, err = events.EventHubsOAuthConfig(c.eventHubsNS, c.kafkaTopic, cred); err != nil {
			return cfg, false, fmt.Errorf("--eventhubs-namespace: %w", err)
		}
	}
	if cfg, err = cfg.WithOptions(c.kafkaOptions); err != nil {
		return cfg, false, fmt.Errorf("--kafka-option: %w", err)
	}
	cfg.Logger = logger
	// Kafka carries hints: a query node starts, and commits, without it.
	cfg.StartUnreachable = true
	return cfg, true, nil
}

// connectTimeout bounds the first contact with the brokers at start; with
// no answer by then, the process starts anyway (StartUnreachable).
const connectTimeout = 15 * time.Second

// publisherFlushTimeout bounds the delivery of buffered events at exit.
const publisherFlushTimeout = 10 * time.Second

// startPublisher connects a Kafka publisher; the returned func flushes it
// (for up to publisherFlushTimeout) and closes it. Events it cannot
// deliver by then are dropped: the agent's sweep finds their versions.
func startPublisher(ctx context.Context, cfg events.KafkaConfig, logger *slog.Logger) (*events.KafkaPublisher, func(), error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	kp, err := events.NewKafkaPublisher(cctx, cfg)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	return kp, func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publisherFlushTimeout)
		defer cancel()
		if err := kp.Close(fctx); err != nil {
			logger.Warn("write events not delivered at exit; the agent's sweep finds their versions", "err", err)
		}
	}, nil
}

// maintenancePolicy returns the global policy: the defaults with the
// --policy settings applied. Unlike a table's config, a bad setting here
// stops the process.
func (c *commonConfig) maintenancePolicy() (agent.Policy, error) {
	cfg := make(map[string]string, len(c.policy))
	for k, v := range c.policy {
		cfg["lancegate."+strings.TrimPrefix(k, "lancegate.")] = v
	}
	p, errs := agent.DefaultPolicy().Effective(cfg)
	if len(errs) > 0 {
		return p, fmt.Errorf("--policy: %w", errors.Join(errs...))
	}
	return p, nil
}
