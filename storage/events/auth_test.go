package events_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lancegate/lancegate/storage/events"
)

const testConnString = "Endpoint=sb://testns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleQ==;EntityPath=lancegate"

// eventHubsCluster starts a kfake cluster that authenticates as the Event
// Hubs Kafka endpoint does: TLS, SASL PLAIN, user "$ConnectionString" with
// the connection string as password.
func eventHubsCluster(t *testing.T) (*kfake.Cluster, testPKI) {
	pki := newPKI(t)
	c := newCluster(t,
		kfake.TLS(pki.serverTLS()),
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "$ConnectionString", testConnString),
	)
	return c, pki
}

// eventHubsConfig returns EventHubsConfig(testConnString) pointed at c and
// trusting the test CA.
func eventHubsConfig(t *testing.T, c *kfake.Cluster, pki testPKI) events.KafkaConfig {
	t.Helper()
	cfg, err := events.EventHubsConfig(testConnString, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Brokers; len(got) != 1 || got[0] != "testns.servicebus.windows.net:9093" {
		t.Fatalf("EventHubsConfig brokers = %v; want testns.servicebus.windows.net:9093", got)
	}
	cfg.Brokers = c.ListenAddrs()
	cfg.TLS.RootCAs = pki.pool
	cfg.CreateTopic = true
	cfg.Partitions = 2
	cfg.Logger = testLogger()
	return cfg
}

// TestEventHubsTLSAndSASLPlain connects with the configuration
// EventHubsConfig derives from a connection string, and round-trips events.
func TestEventHubsTLSAndSASLPlain(t *testing.T) {
	t.Parallel()
	c, pki := eventHubsCluster(t)
	cfg := eventHubsConfig(t, c, pki)
	if cfg.Topic != "lancegate" {
		t.Fatalf("topic = %q; want the EntityPath lancegate", cfg.Topic)
	}
	pub := newPublisher(t, cfg)
	src := newSource(t, cfg, "agents")
	for v := uint64(1); v <= 20; v++ {
		pub.Publish(ev("t", v))
	}
	got := consume(t, src, 20)
	for i, e := range got {
		if e.Version != uint64(i+1) {
			t.Fatalf("event %d is version %d; want %d", i, e.Version, i+1)
		}
	}
}

// TestKafkaRefusedCredentials fails fast and clearly when the broker
// refuses the password or its certificate is not trusted.
func TestKafkaRefusedCredentials(t *testing.T) {
	t.Parallel()
	c, pki := eventHubsCluster(t)
	tests := []struct {
		name   string
		change func(*events.KafkaConfig)
		want   []error  // errors.Is targets
		says   []string // in the message
	}{
		{
			name:   "wrong password",
			change: func(cfg *events.KafkaConfig) { cfg.SASL.Password = "Endpoint=sb://testns/;SharedAccessKey=wrong" },
			want:   []error{events.ErrAuth},
			says:   []string{"SASL PLAIN", `"$ConnectionString"`, c.ListenAddrs()[0]},
		},
		{
			name:   "wrong mechanism",
			change: func(cfg *events.KafkaConfig) { cfg.SASL.Mechanism = events.SASLSCRAMSHA512 },
			want:   []error{events.ErrAuth},
			says:   []string{"SCRAM-SHA-512"},
		},
		{
			name:   "untrusted certificate",
			change: func(cfg *events.KafkaConfig) { cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12} },
			want:   []error{events.ErrAuth},
			says:   []string{"certificate"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := eventHubsConfig(t, c, pki)
			tt.change(&cfg)
			for role, open := range map[string]func(context.Context) error{
				"publisher": func(ctx context.Context) error {
					p, err := events.NewKafkaPublisher(ctx, cfg)
					if err == nil {
						_ = p.Close(ctx)
					}
					return err
				},
				"source": func(ctx context.Context) error {
					s, err := events.NewKafkaSource(ctx, cfg, "agents")
					if err == nil {
						s.Close()
					}
					return err
				},
			} {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				start := time.Now()
				err := open(ctx)
				cancel()
				if err == nil {
					t.Fatalf("%s connected", role)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s took %v to fail", role, d)
				}
				for _, w := range tt.want {
					if !errors.Is(err, w) {
						t.Errorf("%s: %v; want errors.Is %v", role, err, w)
					}
				}
				for _, s := range tt.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%s: %q does not say %q", role, err, s)
					}
				}
				if strings.Contains(err.Error(), "c2VjcmV0LWtleQ") {
					t.Errorf("%s: the error shows the key: %v", role, err)
				}
			}
		})
	}
}

// TestKafkaAuthenticationFailedCode gets the answer real Kafka and Event
// Hubs give a wrong password, SASL_AUTHENTICATION_FAILED (kfake hangs up
// instead): a clear error at once.
func TestKafkaAuthenticationFailedCode(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.ControlKey(int16(kmsg.SASLHandshake), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		return r.(*kmsg.SASLHandshakeRequest).ResponseKind(), nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := r.(*kmsg.SASLAuthenticateRequest).ResponseKind().(*kmsg.SASLAuthenticateResponse)
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := "Invalid SASL mechanism or credentials"
		resp.ErrorMessage = &msg
		return resp, nil, true
	})
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.SASL = events.SASLConfig{Mechanism: events.SASLPlain, Username: "agent", Password: "wrong"}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := events.NewKafkaPublisher(ctx, cfg)
	if !errors.Is(err, events.ErrAuth) || !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("NewKafkaPublisher with a refused password = %v; want ErrAuth and SASL_AUTHENTICATION_FAILED", err)
	}
	if !strings.Contains(err.Error(), "Invalid SASL mechanism or credentials") {
		t.Errorf("%v does not carry the broker's message", err)
	}
}

// fakeCredential hands out a fixed token and records the scopes asked for.
type fakeCredential struct {
	mu     sync.Mutex
	scopes []string
}

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, o.Scopes...)
	return azcore.AccessToken{Token: "entra-token-123", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestEventHubsOAuth authenticates with OAUTHBEARER and a token for the
// namespace's scope. kfake does not speak OAUTHBEARER, so the test answers
// the SASL requests itself and checks the token the client sent.
func TestEventHubsOAuth(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	var (
		mu     sync.Mutex
		tokens []string
	)
	c.ControlKey(int16(kmsg.SASLHandshake), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLHandshakeRequest)
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{"OAUTHBEARER"}
		if req.Mechanism != "OAUTHBEARER" {
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLAuthenticateRequest)
		mu.Lock()
		tokens = append(tokens, string(req.SASLAuthBytes))
		mu.Unlock()
		return req.ResponseKind(), nil, true
	})

	cred := &fakeCredential{}
	cfg, err := events.EventHubsOAuthConfig("testns", "lancegate", cred)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Brokers; len(got) != 1 || got[0] != "testns.servicebus.windows.net:9093" {
		t.Fatalf("brokers = %v; want testns.servicebus.windows.net:9093", got)
	}
	if cfg.TLS == nil || cfg.SASL.Mechanism != events.SASLOAuthBearer {
		t.Fatalf("config %+v; want TLS and OAUTHBEARER", cfg)
	}
	cfg.Brokers = c.ListenAddrs()
	cfg.TLS = nil // kfake without TLS here; the TLS path is tested above
	cfg.CreateTopic = true
	cfg.Logger = testLogger()
	pub := newPublisher(t, cfg)
	pub.Publish(ev("t", 1))
	waitFor(t, 10*time.Second, "delivery", func() bool { return pub.Stats().Delivered == 1 })

	cred.mu.Lock()
	scopes := cred.scopes
	cred.mu.Unlock()
	if len(scopes) == 0 || scopes[0] != "https://testns.servicebus.windows.net/.default" {
		t.Errorf("token scopes %v; want https://testns.servicebus.windows.net/.default", scopes)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) == 0 || !strings.Contains(tokens[0], "auth=Bearer entra-token-123") {
		t.Errorf("SASL messages %q; want the bearer token", tokens)
	}
}
