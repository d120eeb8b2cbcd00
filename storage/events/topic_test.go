package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lancegate/lancegate/storage/events"
)

// TestKafkaCreateTopic checks what CreateTopic does with the broker's
// answers: the topic is made with the partitions asked for; an existing
// topic or a refusal for lack of rights is fine; other refusals fail.
func TestKafkaCreateTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   *kerr.Error // the broker's answer to CreateTopics
		wantErr error
	}{
		{name: "created"},
		{name: "exists", fault: kerr.TopicAlreadyExists},
		{name: "not authorized", fault: kerr.TopicAuthorizationFailed},
		{name: "cluster not authorized", fault: kerr.ClusterAuthorizationFailed},
		{name: "bad replication factor", fault: kerr.InvalidReplicationFactor, wantErr: kerr.InvalidReplicationFactor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			if tt.fault != nil {
				c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Err: tt.fault, Count: -1})
			}
			cfg := kafkaConfig(c.ListenAddrs())
			cfg.Partitions = 5
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			p, err := events.NewKafkaPublisher(ctx, cfg)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("NewKafkaPublisher = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewKafkaPublisher = %v", err)
			}
			_ = p.Close(ctx)
			if tt.fault == nil {
				if ps := c.PartitionInfos("events"); len(ps) != 5 {
					t.Fatalf("topic after CreateTopic has %d partitions; want 5", len(ps))
				}
			}
		})
	}
}

// TestKafkaUnreachable fails within the context when no broker answers.
func TestKafkaUnreachable(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	addrs := c.ListenAddrs()
	c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := events.NewKafkaPublisher(ctx, kafkaConfig(addrs)); err == nil || errors.Is(err, events.ErrAuth) {
		t.Fatalf("NewKafkaPublisher with no broker = %v; want a connection error", err)
	}
	if _, err := events.NewKafkaSource(ctx, kafkaConfig(addrs), "agents"); err == nil {
		t.Fatal("NewKafkaSource with no broker succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %v", d)
	}
}
