package events

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of KafkaConfig; see its fields.
const (
	// DefaultTopic is the topic events go to when none is configured.
	DefaultTopic = "lancegate-events"
	// DefaultPartitions is the partition count of a topic created with
	// CreateTopic. Sixteen spreads the tables over up to sixteen agent
	// replicas and stays within every Event Hubs tier's limit (32 on
	// Standard).
	DefaultPartitions = 16
	// DefaultDeliveryTimeout is how long a produce attempt may take before
	// the publisher counts it failed and puts the events back to retry.
	DefaultDeliveryTimeout = 30 * time.Second
	// defaultClientID names the client to the brokers.
	defaultClientID = "lancegate"
)

// The SASL mechanisms KafkaConfig accepts.
const (
	SASLPlain       = "PLAIN"
	SASLSCRAMSHA256 = "SCRAM-SHA-256"
	SASLSCRAMSHA512 = "SCRAM-SHA-512"
	SASLOAuthBearer = "OAUTHBEARER"
)

// KafkaConfig says how to reach the brokers and which topic carries the
// events. The zero value of every field but Brokers has a working default.
type KafkaConfig struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// Topic carries the events (Event Hubs: the event hub's name); empty
	// means DefaultTopic.
	Topic string
	// ClientID names the client to the brokers; empty means "lancegate".
	ClientID string
	// TLS, when not nil, makes connections TLS with this configuration.
	// An empty ServerName is set to each broker's host.
	TLS *tls.Config
	// SASL authenticates the connections; a zero SASLConfig means none.
	SASL SASLConfig
	// Partitions is the partition count of a topic created with
	// CreateTopic; 0 means DefaultPartitions. An existing topic (and every
	// event hub) keeps the count it has.
	Partitions int32
	// ReplicationFactor of a topic created with CreateTopic; 0 or -1 means
	// the broker's default.
	ReplicationFactor int16
	// CreateTopic creates the topic on start if it does not exist. A
	// refusal for lack of rights is logged, not fatal.
	CreateTopic bool
	// StartUnreachable lets NewKafkaPublisher and NewKafkaSource start
	// when no broker answers (refused credentials and bad settings still
	// fail): the publisher buffers events and creates the topic once a
	// broker answers; the source waits. A query node then does not depend
	// on Kafka to start, only to hand its events on.
	StartUnreachable bool
	// BufferSize is the number of events a KafkaPublisher holds while the
	// brokers are slow or down; 0 means DefaultBufferSize.
	BufferSize int
	// DeliveryTimeout bounds one produce attempt (the producer's
	// delivery.timeout.ms), at least 1 s; 0 means DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration
	// SessionTimeout is how long the group waits for a silent agent
	// before giving its partitions to the others; 0 means franz-go's
	// default, 45 s. HeartbeatInterval is how often members check in and
	// so how quickly they learn of a rebalance; 0 means 3 s.
	SessionTimeout, HeartbeatInterval time.Duration
	// Logger receives the transport's warnings; nil means slog.Default().
	Logger *slog.Logger

	// Test hooks, set through export_test.go.
	extraOpts              []kgo.Opt
	minBackoff, maxBackoff time.Duration
}

// SASLConfig authenticates a Kafka client.
type SASLConfig struct {
	// Mechanism is SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512 or
	// SASLOAuthBearer; empty means no SASL.
	Mechanism string
	// Username and Password are the PLAIN and SCRAM credentials. For Event
	// Hubs with PLAIN, Username is "$ConnectionString" and Password the
	// connection string.
	Username string
	Password string
	// TokenSource returns the bearer token for OAUTHBEARER. It is called
	// for each new connection and on re-authentication, so it should cache.
	TokenSource func(ctx context.Context) (string, error)
}

// withDefaults returns c with its defaults filled in, or an error wrapping
// ErrInvalidConfig.
func (c KafkaConfig) withDefaults() (KafkaConfig, error) {
	if len(c.Brokers) == 0 {
		return c, fmt.Errorf("events: no kafka brokers: %w", ErrInvalidConfig)
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return c, fmt.Errorf("events: empty kafka broker address: %w", ErrInvalidConfig)
		}
	}
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.ClientID == "" {
		c.ClientID = defaultClientID
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Partitions < 0 {
		return c, fmt.Errorf("events: kafka partitions %d: %w", c.Partitions, ErrInvalidConfig)
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1
	}
	if c.ReplicationFactor < -1 {
		return c, fmt.Errorf("events: kafka replication factor %d: %w", c.ReplicationFactor, ErrInvalidConfig)
	}
	if c.BufferSize == 0 {
		c.BufferSize = DefaultBufferSize
	}
	if c.BufferSize < 0 {
		return c, fmt.Errorf("events: kafka buffer size %d: %w", c.BufferSize, ErrInvalidConfig)
	}
	if c.DeliveryTimeout == 0 {
		c.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if c.DeliveryTimeout < time.Second {
		return c, fmt.Errorf("events: kafka delivery timeout %v is under 1s: %w", c.DeliveryTimeout, ErrInvalidConfig)
	}
	if c.minBackoff == 0 {
		c.minBackoff = 100 * time.Millisecond
	}
	if c.maxBackoff == 0 {
		c.maxBackoff = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SessionTimeout < 0 || c.HeartbeatInterval < 0 || (c.SessionTimeout > 0 && c.HeartbeatInterval >= c.SessionTimeout) {
		return c, fmt.Errorf("events: kafka heartbeat interval %v and session timeout %v: %w", c.HeartbeatInterval, c.SessionTimeout, ErrInvalidConfig)
	}
	if err := c.SASL.validate(); err != nil {
		return c, err
	}
	if c.SASL.Mechanism != "" && c.TLS == nil {
		c.Logger.Warn("kafka SASL without TLS sends credentials in the clear", "mechanism", c.SASL.Mechanism, "brokers", c.Brokers)
	}
	return c, nil
}

// clientOpts returns the options every client of c shares: brokers,
// identity, security, logging, and a metadata refresh within what Event
// Hubs needs (it drops connections idle for 240 s; kgo closes idle ones
// after 20 s).
func (c KafkaConfig) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID),
		kgo.MetadataMaxAge(3 * time.Minute),
		kgo.WithLogger(kgoLogger{c.Logger}),
	}
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS.Clone()))
	}
	if m := c.SASL.mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return append(opts, c.extraOpts...)
}
