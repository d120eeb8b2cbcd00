package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/storage/events"
)

func parseCommon(t *testing.T, args ...string) *commonConfig {
	t.Helper()
	c := &commonConfig{}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKafkaConfigFromFlags(t *testing.T) {
	const conn = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0;EntityPath=writes"
	tests := []struct {
		name    string
		args    []string
		kafka   bool
		wantErr string
		check   func(events.KafkaConfig) bool
	}{
		{name: "none: the in-process bus", args: nil},
		{name: "brokers", args: []string{"--kafka-brokers", "b1:9092, b2:9092", "--kafka-topic", "w"}, kafka: true,
			check: func(c events.KafkaConfig) bool {
				return slices.Equal(c.Brokers, []string{"b1:9092", "b2:9092"}) && c.Topic == "w"
			}},
		{name: "options", args: []string{"--kafka-brokers", "b:9093", "--kafka-option", "tls=true,sasl.mechanism=SCRAM-SHA-512,sasl.username=u,sasl.password=p,create_topic=true"}, kafka: true,
			check: func(c events.KafkaConfig) bool {
				return c.TLS != nil && c.SASL.Mechanism == "SCRAM-SHA-512" && c.SASL.Username == "u" && c.CreateTopic
			}},
		{name: "event hubs connection string", args: []string{"--eventhubs-connection-string", conn}, kafka: true,
			check: func(c events.KafkaConfig) bool {
				return slices.Equal(c.Brokers, []string{"myns.servicebus.windows.net:9093"}) && c.Topic == "writes" && c.TLS != nil &&
					c.SASL.Mechanism == "PLAIN" && c.SASL.Username == "$ConnectionString" && c.SASL.Password == conn
			}},
		{name: "event hubs topic disagrees", args: []string{"--eventhubs-connection-string", conn, "--kafka-topic", "other"}, wantErr: "not topic"},
		{name: "two transports", args: []string{"--kafka-brokers", "b:9092", "--eventhubs-connection-string", conn}, wantErr: "give one of"},
		{name: "options without brokers", args: []string{"--kafka-option", "tls=true"}, wantErr: "needs --kafka-brokers"},
		{name: "unknown option", args: []string{"--kafka-brokers", "b:9092", "--kafka-option", "nope=1"}, wantErr: "unknown kafka option"},
		{name: "secret not echoed", args: []string{"--kafka-brokers", "b:9092", "--kafka-option", "sasl.mechanism=PLAIN,sasl.password=hunter2,tls=maybe"}, wantErr: "tls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := parseCommon(t, tc.args...)
			cfg, kafka, err := c.kafkaConfig(quietLogger())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "c2VjcmV0") {
					t.Fatalf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil || kafka != tc.kafka {
				t.Fatalf("kafka = %v, err = %v", kafka, err)
			}
			if tc.check != nil && !tc.check(cfg) {
				t.Fatalf("config = %+v", cfg)
			}
		})
	}
}

// TestJobArgsCarryNoSecrets: job pods get the storage root and event
// transport on their command line, and secrets only through environment.
func TestJobArgsCarryNoSecrets(t *testing.T) {
	c := parseCommon(t, "--storage", "az://tables/prod", "--storage-option", "account_key=SECRET", "--kafka-brokers", "b:9092",
		"--kafka-option", "sasl.password=SECRET")
	args := strings.Join(jobArgs(*c), " ")
	if strings.Contains(args, "SECRET") {
		t.Fatalf("job args leak a secret: %s", args)
	}
	for _, want := range []string{"--storage az://tables/prod", "--kafka-brokers b:9092", "--kafka-topic lancegate-events"} {
		if !strings.Contains(args, want) {
			t.Errorf("job args %q lack %q", args, want)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--role", "nope", "--storage", "memory://"}, 1, "want all, query, agent or executor"},
		{[]string{"serve", "--role", "agent", "--storage", "memory://", "--executors", "127.0.0.1:1"}, 1, "only query nodes"},
		{[]string{"serve", "--role", "query", "--storage", "memory://", "--executors", "nohostport"}, 1, "--executors"},
		{[]string{"serve", "--role", "query", "--storage", "memory://", "--executors", "127.0.0.1:1", "--executor-fallback", "nope"}, 1, "want local or error"},
		{[]string{"serve", "--role", "executor", "--storage", "memory://", "--cache-ram", "lots"}, 1, "cache-ram"},
		{[]string{"serve", "--role", "executor", "--storage", "memory://", "--executor-listen", "not an address"}, 1, "--executor-listen"},
		{[]string{"serve", "--role", "agent", "--storage", "memory://", "--job-launcher", "nope"}, 1, "want inprocess or kubernetes"},
		{[]string{"serve", "--role", "agent", "--storage", "memory://", "--job-launcher", "kubernetes"}, 1, "needs --job-image"},
		{[]string{"job", "--storage", "memory://", "--table", "t"}, 1, "want compact, cleanup or index"},
		{[]string{"job", "--storage", "memory://", "--type", "compact"}, 1, "--table is required"},
		{[]string{"job", "--storage", "memory://", "--type", "compact", "--table", "missing"}, 1, "table does not exist"},
		{[]string{"bogus"}, 2, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
