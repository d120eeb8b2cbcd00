package events_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lancegate/lancegate/storage/events"
)

// testLogger discards the transport's logs unless LANCEGATE_TEST_LOG is
// set (t.Log cannot be used: franz-go logs from its own goroutines).
func testLogger() *slog.Logger {
	if os.Getenv("LANCEGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newCluster starts a one-broker kfake cluster on 127.0.0.1, closed at the
// end of the test.
func newCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// kafkaConfig returns a configuration for the cluster at addrs: topic
// "events" with four partitions, created on start, short group heartbeats
// and short publisher backoffs.
func kafkaConfig(addrs []string) events.KafkaConfig {
	cfg := events.KafkaConfig{
		Brokers:         addrs,
		Topic:           "events",
		Partitions:      4,
		CreateTopic:     true,
		DeliveryTimeout: time.Second,
		Logger:          testLogger(),
	}
	cfg = events.WithBackoff(cfg, 10*time.Millisecond, 200*time.Millisecond)
	return cfg
}

// quickRetries makes the client redial and reload metadata every 50 ms, so
// that tests of outages are quick.
func quickRetries(cfg events.KafkaConfig) events.KafkaConfig {
	return events.WithClientOpts(cfg,
		kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond }),
		kgo.MetadataMinAge(50*time.Millisecond),
	)
}

// groupOpts make rebalances quick: members notice within 100 ms.
func groupOpts(cfg events.KafkaConfig) events.KafkaConfig {
	return events.WithClientOpts(cfg,
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(6*time.Second),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
}

func newPublisher(t *testing.T, cfg events.KafkaConfig) *events.KafkaPublisher {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := events.NewKafkaPublisher(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

func newSource(t *testing.T, cfg events.KafkaConfig, group string) *events.KafkaSource {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := events.NewKafkaSource(ctx, groupOpts(cfg), group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ev returns the event of version v of table.
func ev(table string, v uint64) events.Event {
	return events.Event{
		Table:       table,
		URI:         "file:///data/" + table + ".lance",
		Version:     v,
		PrevVersion: v - 1,
		Op:          events.OpAppend,
		RowsAdded:   10 * v,
		Fragments:   []uint64{v - 1},
		Time:        time.Date(2025, 1, 2, 3, 4, 5, int(v)*1000, time.UTC),
		Source:      "node-1",
	}
}

// key identifies an event in the tests.
func key(e events.Event) string { return fmt.Sprintf("%s@%d", e.Table, e.Version) }

// waitFor polls cond every 5 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// groupLag returns, per partition of topic, the end offset minus the
// group's committed offset.
func groupLag(t *testing.T, addrs []string, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	lag := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, o.Partition)
		at := int64(0)
		if ok {
			at = c.At
		}
		lag[o.Partition] = o.Offset - at
	})
	return lag
}

// testPKI is a CA and a server certificate for 127.0.0.1 it signed.
type testPKI struct {
	pool   *x509.CertPool
	server tls.Certificate
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "lancegate test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kfake"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return testPKI{pool: pool, server: tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}}
}

func (p testPKI) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
}
