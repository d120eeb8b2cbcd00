package events

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kafkaOptionKeys returns the keys of --kafka-option key=value, sorted; the
// package documentation describes them for users.
func kafkaOptionKeys() []string {
	return []string{
		"buffer_size", "client_id", "create_topic", "delivery_timeout",
		"heartbeat_interval", "partitions", "replication_factor",
		"sasl.mechanism", "sasl.password", "sasl.username",
		"session_timeout", "tls", "tls.ca_file", "tls.cert_file", "tls.key_file", "tls.server_name",
	}
}

// applyOption sets what option k says; known is false for an unknown key.
func applyOption(c *KafkaConfig, t *tlsOptions, k, v string) (known bool, err error) {
	switch k {
	case "client_id":
		c.ClientID = v
	case "sasl.mechanism":
		c.SASL.Mechanism = strings.ToUpper(strings.TrimSpace(v))
	case "sasl.username":
		c.SASL.Username = v
	case "sasl.password":
		c.SASL.Password = v
	case "tls":
		on, err := strconv.ParseBool(v)
		t.enabled = &on
		return true, err
	case "tls.ca_file":
		t.caFile = v
	case "tls.cert_file":
		t.certFile = v
	case "tls.key_file":
		t.keyFile = v
	case "tls.server_name":
		t.serverName = v
	case "partitions":
		n, err := strconv.ParseInt(v, 10, 32)
		if err == nil && n < 1 {
			err = errors.New("want at least 1")
		}
		c.Partitions = int32(n)
		return true, err
	case "replication_factor":
		n, err := strconv.ParseInt(v, 10, 16)
		if err == nil && (n == 0 || n < -1) {
			err = errors.New("want -1 (the broker's default) or at least 1")
		}
		c.ReplicationFactor = int16(n)
		return true, err
	case "create_topic":
		on, err := strconv.ParseBool(v)
		c.CreateTopic = on
		return true, err
	case "buffer_size":
		n, err := strconv.Atoi(v)
		if err == nil && n < 1 {
			err = errors.New("want at least 1")
		}
		c.BufferSize = n
		return true, err
	case "delivery_timeout":
		d, err := time.ParseDuration(v)
		if err == nil && d < time.Second {
			err = errors.New("want at least 1s")
		}
		c.DeliveryTimeout = d
		return true, err
	case "session_timeout", "heartbeat_interval":
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = errors.New("want a positive duration")
		}
		if k == "session_timeout" {
			c.SessionTimeout = d
		} else {
			c.HeartbeatInterval = d
		}
		return true, err
	default:
		return false, nil
	}
	return true, nil
}

// tlsOptions collects the tls.* options until all are read.
type tlsOptions struct {
	enabled                               *bool
	caFile, certFile, keyFile, serverName string
}

// ParseKafkaOptions returns the configuration the options of
// --kafka-option key=value describe (see the package documentation for the
// keys); Brokers and Topic are left for the caller. It is
// KafkaConfig{}.WithOptions(opts).
func ParseKafkaOptions(opts map[string]string) (KafkaConfig, error) {
	return KafkaConfig{}.WithOptions(opts)
}

// WithOptions returns c with the options applied on top, as for
// EventHubsConfig(...) followed by the user's --kafka-option flags. An
// unknown key or a bad value is an error wrapping ErrInvalidConfig; c is
// not changed.
func (c KafkaConfig) WithOptions(opts map[string]string) (KafkaConfig, error) {
	orig := c
	var t tlsOptions
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		v := opts[k]
		known, err := applyOption(&c, &t, k, v)
		if !known {
			return orig, fmt.Errorf("events: unknown kafka option %q (known: %s): %w",
				k, strings.Join(kafkaOptionKeys(), ", "), ErrInvalidConfig)
		}
		if err != nil {
			if k == "sasl.password" {
				v = "…" // never echo a secret
			}
			return orig, fmt.Errorf("events: kafka option %s=%q: %w: %w", k, v, ErrInvalidConfig, err)
		}
	}
	tc, err := t.apply(c.TLS)
	if err != nil {
		return orig, err
	}
	c.TLS = tc
	return c, nil
}

// apply returns base changed by the tls.* options: nil with tls=false,
// a new configuration when TLS is asked for and base is nil.
func (t tlsOptions) apply(base *tls.Config) (*tls.Config, error) {
	files := t.caFile != "" || t.certFile != "" || t.keyFile != "" || t.serverName != ""
	switch {
	case t.enabled != nil && !*t.enabled && files:
		return nil, fmt.Errorf("events: kafka option tls=false with tls.* options: %w", ErrInvalidConfig)
	case t.enabled != nil && !*t.enabled:
		return nil, nil
	case t.enabled == nil && !files:
		return base, nil
	}
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return nil, fmt.Errorf("events: kafka option tls.ca_file: %w: %w", ErrInvalidConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("events: kafka option tls.ca_file: no PEM certificate in %s: %w", t.caFile, ErrInvalidConfig)
		}
		c.RootCAs = pool
	}
	if (t.certFile == "") != (t.keyFile == "") {
		return nil, fmt.Errorf("events: kafka options tls.cert_file and tls.key_file go together: %w", ErrInvalidConfig)
	}
	if t.certFile != "" {
		cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
		if err != nil {
			return nil, fmt.Errorf("events: kafka options tls.cert_file and tls.key_file: %w: %w", ErrInvalidConfig, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if t.serverName != "" {
		c.ServerName = t.serverName
	}
	return c, nil
}
