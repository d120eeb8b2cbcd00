package events_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/events"
)

// configView is the comparable part of a KafkaConfig.
type configView struct {
	Brokers               string
	Topic, ClientID       string
	TLS                   bool
	ServerName            string
	RootCAs, ClientCerts  int
	Mechanism, User, Pass string
	Token                 bool
	Partitions            int32
	Replication           int16
	Create                bool
	Buffer                int
	Delivery              time.Duration
}

func view(c events.KafkaConfig) configView {
	v := configView{
		Brokers: strings.Join(c.Brokers, ","), Topic: c.Topic, ClientID: c.ClientID,
		Mechanism: c.SASL.Mechanism, User: c.SASL.Username, Pass: c.SASL.Password, Token: c.SASL.TokenSource != nil,
		Partitions: c.Partitions, Replication: c.ReplicationFactor, Create: c.CreateTopic,
		Buffer: c.BufferSize, Delivery: c.DeliveryTimeout,
	}
	if c.TLS != nil {
		v.TLS, v.ServerName, v.ClientCerts = true, c.TLS.ServerName, len(c.TLS.Certificates)
		if c.TLS.RootCAs != nil {
			v.RootCAs = 1
		}
	}
	return v
}

// pkiFiles writes the test CA and a client key pair as PEM files.
func pkiFiles(t *testing.T) (ca, cert, key string) {
	t.Helper()
	pki := newPKI(t)
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(pki.server.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return write("ca.pem", "CERTIFICATE", pki.server.Certificate[1]),
		write("cert.pem", "CERTIFICATE", pki.server.Certificate[0]),
		write("key.pem", "PRIVATE KEY", keyDER)
}

func TestParseKafkaOptions(t *testing.T) {
	t.Parallel()
	ca, cert, key := pkiFiles(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    map[string]string
		want    configView
		wantErr string // in the message; the error wraps ErrInvalidConfig
	}{
		{name: "none", opts: nil, want: configView{}},
		{
			name: "sasl scram over tls",
			opts: map[string]string{"sasl.mechanism": "scram-sha-512", "sasl.username": "u", "sasl.password": "p", "tls": "true"},
			want: configView{Mechanism: "SCRAM-SHA-512", User: "u", Pass: "p", TLS: true},
		},
		{
			name: "ca file implies tls",
			opts: map[string]string{"tls.ca_file": ca, "tls.server_name": "kafka.internal"},
			want: configView{TLS: true, RootCAs: 1, ServerName: "kafka.internal"},
		},
		{
			name: "client certificate",
			opts: map[string]string{"tls.cert_file": cert, "tls.key_file": key},
			want: configView{TLS: true, ClientCerts: 1},
		},
		{
			name: "topic settings",
			opts: map[string]string{"partitions": "32", "replication_factor": "3", "create_topic": "true", "buffer_size": "500", "delivery_timeout": "45s", "client_id": "node-7"},
			want: configView{Partitions: 32, Replication: 3, Create: true, Buffer: 500, Delivery: 45 * time.Second, ClientID: "node-7"},
		},
		{name: "broker default replication", opts: map[string]string{"replication_factor": "-1"}, want: configView{Replication: -1}},
		{name: "tls off", opts: map[string]string{"tls": "false"}, want: configView{}},
		{name: "unknown key", opts: map[string]string{"sasl.mechanisms": "PLAIN"}, wantErr: `unknown kafka option "sasl.mechanisms" (known: buffer_size,`},
		{name: "bad bool", opts: map[string]string{"tls": "yes please"}, wantErr: `tls="yes please"`},
		{name: "zero partitions", opts: map[string]string{"partitions": "0"}, wantErr: "partitions=\"0\": invalid event transport configuration: want at least 1"},
		{name: "huge partitions", opts: map[string]string{"partitions": "9999999999"}, wantErr: "partitions="},
		{name: "zero replication", opts: map[string]string{"replication_factor": "0"}, wantErr: "want -1"},
		{name: "short delivery timeout", opts: map[string]string{"delivery_timeout": "10ms"}, wantErr: "want at least 1s"},
		{name: "negative buffer", opts: map[string]string{"buffer_size": "-3"}, wantErr: "buffer_size"},
		{name: "tls off with ca", opts: map[string]string{"tls": "false", "tls.ca_file": ca}, wantErr: "tls=false with tls.* options"},
		{name: "missing ca file", opts: map[string]string{"tls.ca_file": "/nonexistent/ca.pem"}, wantErr: "tls.ca_file"},
		{name: "ca file without pem", opts: map[string]string{"tls.ca_file": notPEM}, wantErr: "no PEM certificate"},
		{name: "cert without key", opts: map[string]string{"tls.cert_file": cert}, wantErr: "go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.ParseKafkaOptions(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, events.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKafkaOptions(%v) = %v; want an ErrInvalidConfig saying %q", tt.opts, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKafkaOptions(%v) = %v", tt.opts, err)
			}
			if v := view(got); !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("ParseKafkaOptions(%v) = %+v; want %+v", tt.opts, v, tt.want)
			}
		})
	}
}

// TestKafkaOptionKeys checks that every documented key is accepted.
func TestKafkaOptionKeys(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range events.KafkaOptionKeys() {
		if !strings.Contains(string(doc), "\t"+k+" ") && !strings.Contains(string(doc), "\t"+k+"=") {
			t.Errorf("option %q is not in the package documentation's table", k)
		}
	}
}

// TestWithOptions applies user options over an Event Hubs configuration.
func TestWithOptions(t *testing.T) {
	t.Parallel()
	base, err := events.EventHubsConfig(testConnString, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := base.WithOptions(map[string]string{"buffer_size": "42", "tls.server_name": "override"})
	if err != nil {
		t.Fatal(err)
	}
	if got.BufferSize != 42 || got.TLS.ServerName != "override" || got.SASL.Mechanism != events.SASLPlain {
		t.Fatalf("WithOptions = %+v", view(got))
	}
	if base.TLS.ServerName != "" {
		t.Fatal("WithOptions changed the base configuration's TLS")
	}
	if _, err := base.WithOptions(map[string]string{"sasl.password": "", "partitions": "x"}); err == nil {
		t.Fatal("WithOptions with a bad value succeeded")
	}
	_, err = base.WithOptions(map[string]string{"buffer_size": "x", "sasl.password": "s3cret"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("WithOptions error %v shows the password or is nil", err)
	}
}

func TestEventHubsConfig(t *testing.T) {
	t.Parallel()
	const key = "SharedAccessKeyName=send;SharedAccessKey=a2V5PQ=="
	tests := []struct {
		name    string
		conn    string
		topic   string
		want    configView
		wantErr string
	}{
		{
			name:  "namespace string",
			conn:  "Endpoint=sb://myns.servicebus.windows.net/;" + key,
			topic: "lancegate",
			want:  configView{Brokers: "myns.servicebus.windows.net:9093", Topic: "lancegate", TLS: true, Mechanism: "PLAIN", User: "$ConnectionString", Pass: "Endpoint=sb://myns.servicebus.windows.net/;" + key},
		},
		{
			name: "entity path is the topic",
			conn: " endpoint=sb://myns.servicebus.windows.net/ ; " + key + ";EntityPath=hub1; ",
			want: configView{Brokers: "myns.servicebus.windows.net:9093", Topic: "hub1", TLS: true, Mechanism: "PLAIN", User: "$ConnectionString", Pass: "endpoint=sb://myns.servicebus.windows.net/ ; " + key + ";EntityPath=hub1;"},
		},
		{
			name:  "entity path agrees",
			conn:  "Endpoint=sb://myns.servicebus.chinacloudapi.cn/;" + key + ";EntityPath=hub1",
			topic: "hub1",
			want:  configView{Brokers: "myns.servicebus.chinacloudapi.cn:9093", Topic: "hub1", TLS: true, Mechanism: "PLAIN", User: "$ConnectionString", Pass: "Endpoint=sb://myns.servicebus.chinacloudapi.cn/;" + key + ";EntityPath=hub1"},
		},
		{
			name:  "shared access signature",
			conn:  "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1&skn=send",
			topic: "t",
			want:  configView{Brokers: "myns.servicebus.windows.net:9093", Topic: "t", TLS: true, Mechanism: "PLAIN", User: "$ConnectionString", Pass: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1&skn=send"},
		},
		{name: "entity path disagrees", conn: "Endpoint=sb://myns.servicebus.windows.net/;" + key + ";EntityPath=hub1", topic: "hub2", wantErr: `for event hub "hub1", not topic "hub2"`},
		{name: "empty", conn: "  ", wantErr: "empty event hubs connection string"},
		{name: "no endpoint", conn: key, wantErr: "no Endpoint"},
		{name: "https endpoint", conn: "Endpoint=https://myns.servicebus.windows.net/;" + key, wantErr: "is not sb://"},
		{name: "endpoint without host", conn: "Endpoint=sb:///;" + key, wantErr: "is not sb://"},
		{name: "no key", conn: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send", wantErr: "neither SharedAccessKey nor SharedAccessSignature"},
		{name: "key without name", conn: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKey=a2V5PQ==", wantErr: "no SharedAccessKeyName"},
		{name: "part without equals", conn: "Endpoint=sb://myns.servicebus.windows.net/;a2V5PQ", wantErr: "a part without key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.EventHubsConfig(tt.conn, tt.topic)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, events.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EventHubsConfig(%q) = %v; want an ErrInvalidConfig saying %q", tt.conn, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "a2V5") {
					t.Fatalf("EventHubsConfig error %v shows the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("EventHubsConfig(%q) = %v", tt.conn, err)
			}
			if v := view(got); !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("EventHubsConfig(%q) =\n %+v; want\n %+v", tt.conn, v, tt.want)
			}
		})
	}
}

func TestEventHubsOAuthConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		namespace string
		want      string // broker
		wantErr   bool
	}{
		{namespace: "myns", want: "myns.servicebus.windows.net:9093"},
		{namespace: "myns.servicebus.windows.net", want: "myns.servicebus.windows.net:9093"},
		{namespace: "sb://myns.servicebus.windows.net/", want: "myns.servicebus.windows.net:9093"},
		{namespace: "myns.servicebus.windows.net:9093", want: "myns.servicebus.windows.net:9093"},
		{namespace: "myns.servicebus.usgovcloudapi.net", want: "myns.servicebus.usgovcloudapi.net:9093"},
		{namespace: "", wantErr: true},
		{namespace: "a/b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := events.EventHubsOAuthConfig(tt.namespace, "hub", &fakeCredential{})
		if tt.wantErr {
			if !errors.Is(err, events.ErrInvalidConfig) {
				t.Errorf("EventHubsOAuthConfig(%q) = %v; want ErrInvalidConfig", tt.namespace, err)
			}
			continue
		}
		if err != nil || len(got.Brokers) != 1 || got.Brokers[0] != tt.want {
			t.Errorf("EventHubsOAuthConfig(%q) = %v, %v; want broker %s", tt.namespace, got.Brokers, err, tt.want)
			continue
		}
		cred := &fakeCredential{}
		got, _ = events.EventHubsOAuthConfig(tt.namespace, "hub", cred)
		if tok, err := got.SASL.TokenSource(t.Context()); err != nil || tok != "entra-token-123" {
			t.Errorf("token = %q, %v", tok, err)
		}
		if host := strings.TrimSuffix(tt.want, ":9093"); len(cred.scopes) != 1 || cred.scopes[0] != "https://"+host+"/.default" {
			t.Errorf("EventHubsOAuthConfig(%q) asked for scopes %v", tt.namespace, cred.scopes)
		}
	}
	if _, err := events.EventHubsOAuthConfig("myns", "hub", nil); !errors.Is(err, events.ErrInvalidConfig) {
		t.Errorf("EventHubsOAuthConfig without a credential = %v; want ErrInvalidConfig", err)
	}
}

// TestKafkaConfigInvalid checks the constructors' validation.
func TestKafkaConfigInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]events.KafkaConfig{
		"no brokers":             {},
		"empty broker":           {Brokers: []string{" "}},
		"unknown mechanism":      {Brokers: []string{"b:9092"}, SASL: events.SASLConfig{Mechanism: "GSSAPI"}},
		"plain without user":     {Brokers: []string{"b:9092"}, SASL: events.SASLConfig{Mechanism: events.SASLPlain}},
		"oauth without token":    {Brokers: []string{"b:9092"}, SASL: events.SASLConfig{Mechanism: events.SASLOAuthBearer}},
		"user without mechanism": {Brokers: []string{"b:9092"}, SASL: events.SASLConfig{Username: "u"}},
		"negative partitions":    {Brokers: []string{"b:9092"}, Partitions: -1},
		"bad replication":        {Brokers: []string{"b:9092"}, ReplicationFactor: -2},
		"negative buffer":        {Brokers: []string{"b:9092"}, BufferSize: -1},
		"short timeout":          {Brokers: []string{"b:9092"}, DeliveryTimeout: time.Millisecond},
	}
	for name, cfg := range tests {
		cfg.Logger = testLogger()
		if _, err := events.NewKafkaPublisher(t.Context(), cfg); !errors.Is(err, events.ErrInvalidConfig) {
			t.Errorf("%s: NewKafkaPublisher = %v; want ErrInvalidConfig", name, err)
		}
	}
	if _, err := events.NewKafkaSource(t.Context(), events.KafkaConfig{Brokers: []string{"b:9092"}}, ""); !errors.Is(err, events.ErrInvalidConfig) {
		t.Errorf("NewKafkaSource without a group = %v; want ErrInvalidConfig", err)
	}
}
