package events

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// eventHubsPort is the Kafka endpoint of an Event Hubs namespace.
const eventHubsPort = "9093"

// eventHubsSuffix completes a bare namespace name (public Azure cloud).
const eventHubsSuffix = ".servicebus.windows.net"

// EventHubsConfig returns the configuration for the Kafka endpoint of the
// Event Hubs namespace a connection string names
// ("Endpoint=sb://<ns>.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…"):
// the broker <ns>.servicebus.windows.net:9093, TLS, and SASL PLAIN with the
// user "$ConnectionString" and the whole connection string as password.
// topic is the event hub; empty means the string's EntityPath, and both
// must agree when both are given. Errors wrap ErrInvalidConfig and never
// contain the key.
func EventHubsConfig(connectionString, topic string) (KafkaConfig, error) {
	fields, err := parseConnectionString(connectionString)
	if err != nil {
		return KafkaConfig{}, err
	}
	endpoint := fields["endpoint"]
	if endpoint == "" {
		return KafkaConfig{}, fmt.Errorf("events: event hubs connection string has no Endpoint: %w", ErrInvalidConfig)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "sb" || u.Hostname() == "" {
		return KafkaConfig{}, fmt.Errorf("events: event hubs Endpoint %q is not sb://<namespace>.servicebus.windows.net/: %w", endpoint, ErrInvalidConfig)
	}
	if fields["sharedaccesskey"] == "" && fields["sharedaccesssignature"] == "" {
		return KafkaConfig{}, fmt.Errorf("events: event hubs connection string has neither SharedAccessKey nor SharedAccessSignature: %w", ErrInvalidConfig)
	}
	if fields["sharedaccesskey"] != "" && fields["sharedaccesskeyname"] == "" {
		return KafkaConfig{}, fmt.Errorf("events: event hubs connection string has a SharedAccessKey but no SharedAccessKeyName: %w", ErrInvalidConfig)
	}
	if entity := fields["entitypath"]; entity != "" {
		if topic != "" && topic != entity {
			return KafkaConfig{}, fmt.Errorf("events: event hubs connection string is for event hub %q, not topic %q: %w", entity, topic, ErrInvalidConfig)
		}
		topic = entity
	}
	return KafkaConfig{
		Brokers: []string{net.JoinHostPort(u.Hostname(), eventHubsPort)},
		Topic:   topic,
		TLS:     &tls.Config{MinVersion: tls.VersionTLS12},
		SASL: SASLConfig{
			Mechanism: SASLPlain,
			Username:  "$ConnectionString",
			Password:  strings.TrimSpace(connectionString),
		},
	}, nil
}

// EventHubsOAuthConfig returns the configuration for the Kafka endpoint of
// an Event Hubs namespace with Microsoft Entra ID: TLS, and SASL OAUTHBEARER
// with tokens from cred for the scope https://<namespace host>/.default.
// namespace is the name ("myns", completed to myns.servicebus.windows.net)
// or the host name; the identity needs the "Azure Event Hubs Data Sender"
// and "Receiver" roles. cred caches its tokens, as azidentity's do.
func EventHubsOAuthConfig(namespace, topic string, cred azcore.TokenCredential) (KafkaConfig, error) {
	host := strings.TrimSpace(namespace)
	host = strings.TrimPrefix(host, "sb://")
	host = strings.TrimSuffix(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch {
	case host == "" || strings.ContainsAny(host, "/:;= "):
		return KafkaConfig{}, fmt.Errorf("events: event hubs namespace %q: %w", namespace, ErrInvalidConfig)
	case cred == nil:
		return KafkaConfig{}, fmt.Errorf("events: event hubs namespace %q: no token credential: %w", namespace, ErrInvalidConfig)
	case !strings.Contains(host, "."):
		host += eventHubsSuffix
	}
	scope := "https://" + host + "/.default"
	return KafkaConfig{
		Brokers: []string{net.JoinHostPort(host, eventHubsPort)},
		Topic:   topic,
		TLS:     &tls.Config{MinVersion: tls.VersionTLS12},
		SASL: SASLConfig{
			Mechanism: SASLOAuthBearer,
			TokenSource: func(ctx context.Context) (string, error) {
				tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
				if err != nil {
					return "", fmt.Errorf("token for %s: %w", scope, err)
				}
				return tok.Token, nil
			},
		},
	}, nil
}

// parseConnectionString splits "Key=Value;Key=Value" into lower-case keys
// and their values; a value may itself contain '=' (base64 keys do).
func parseConnectionString(s string) (map[string]string, error) {
	fields := map[string]string{}
	for part := range strings.SplitSeq(strings.TrimSpace(s), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			// Name the key only: the part may be the secret.
			return nil, fmt.Errorf("events: event hubs connection string: a part without key=value: %w", ErrInvalidConfig)
		}
		fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("events: empty event hubs connection string: %w", ErrInvalidConfig)
	}
	return fields, nil
}
