package events

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// WithClientOpts returns c with extra franz-go options for its clients
// (tests shorten group heartbeats with it).
func WithClientOpts(c KafkaConfig, opts ...kgo.Opt) KafkaConfig {
	c.extraOpts = append(append([]kgo.Opt(nil), c.extraOpts...), opts...)
	return c
}

// WithBackoff returns c with the publisher's retry backoff bounds set.
func WithBackoff(c KafkaConfig, lo, hi time.Duration) KafkaConfig {
	c.minBackoff, c.maxBackoff = lo, hi
	return c
}

// DecodeEvent is the record decoder.
func DecodeEvent(b []byte) (Event, error) { return decodeEvent(b) }

// EncodeEvent is the record encoder.
func EncodeEvent(ev Event) ([]byte, error) { return encodeEvent(ev) }

// KafkaOptionKeys lists the --kafka-option keys.
func KafkaOptionKeys() []string { return kafkaOptionKeys() }
