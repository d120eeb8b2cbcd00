package events

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// connect returns a client of c with the extra options, once a broker has
// answered: a wrong password, an untrusted certificate or unreachable
// brokers fail here, within ctx, rather than in the background forever.
// With CreateTopic it also creates the topic.
func connect(ctx context.Context, c KafkaConfig, opts ...kgo.Opt) (*kgo.Client, error) {
	watch := &saslWatch{}
	opts = append(append(c.clientOpts(), kgo.WithHooks(watch)), opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("events: kafka client: %w: %w", ErrInvalidConfig, err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		if cut := watch.failure(); cut != nil && !errors.Is(err, ErrAuth) {
			// Some brokers (kfake among them) hang up on bad
			// credentials instead of answering with an error code.
			err = fmt.Errorf("%w: the broker hung up during SASL authentication: %w", ErrAuth, cut)
		}
		return nil, fmt.Errorf("events: connecting to kafka brokers %v%s: %w", c.Brokers, c.describeAuth(), classify(err))
	}
	if c.CreateTopic {
		if err := ensureTopic(ctx, cl, c); err != nil {
			cl.Close()
			return nil, err
		}
	}
	return cl, nil
}

// connectOrLazy is connect, except that with c.StartUnreachable a broker
// that does not answer (as opposed to one that refuses the credentials)
// gives a client that connects when it can. topicPending reports that
// CreateTopic is still to be done.
func connectOrLazy(ctx context.Context, c KafkaConfig, opts ...kgo.Opt) (cl *kgo.Client, topicPending bool, err error) {
	cl, err = connect(ctx, c, opts...)
	if err == nil || !c.StartUnreachable || errors.Is(err, ErrAuth) || errors.Is(err, ErrInvalidConfig) {
		return cl, false, err
	}
	c.Logger.Warn("no kafka broker answers; starting anyway and connecting when one does", "brokers", c.Brokers, "err", err)
	cl, lerr := kgo.NewClient(append(c.clientOpts(), opts...)...)
	if lerr != nil {
		return nil, false, fmt.Errorf("events: kafka client: %w: %w", ErrInvalidConfig, lerr)
	}
	return cl, c.CreateTopic, nil
}

// describeAuth says how the client authenticates, for error messages.
func (c KafkaConfig) describeAuth() string {
	s := ""
	if c.TLS != nil {
		s = " over TLS"
	}
	switch c.SASL.Mechanism {
	case "":
	case SASLOAuthBearer:
		s += " with SASL " + c.SASL.Mechanism
	default:
		s += fmt.Sprintf(" with SASL %s as %q", c.SASL.Mechanism, c.SASL.Username)
	}
	return s
}

// saslWatch remembers a connection that broke during SASL authentication.
type saslWatch struct{ err atomic.Pointer[error] }

var _ kgo.HookBrokerE2E = (*saslWatch)(nil)

// OnBrokerE2E implements kgo.HookBrokerE2E.
func (w *saslWatch) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if err := e2e.Err(); err != nil && (key == int16(kmsg.SASLAuthenticate) || key == int16(kmsg.SASLHandshake)) {
		w.err.Store(&err)
	}
}

func (w *saslWatch) failure() error {
	if p := w.err.Load(); p != nil {
		return *p
	}
	return nil
}

// classify adds ErrAuth to errors that mean the credentials or the
// certificates were refused.
func classify(err error) error {
	if errors.Is(err, ErrAuth) {
		return err
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed),
		errors.Is(err, kerr.UnsupportedSaslMechanism),
		errors.Is(err, kerr.IllegalSaslState),
		errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.TopicAuthorizationFailed),
		errors.Is(err, kerr.GroupAuthorizationFailed),
		errors.As(err, &unknownCA), errors.As(err, &hostname),
		errors.As(err, &verify), errors.As(err, &header):
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return err
}

// ensureTopic creates c.Topic unless it exists. Lacking the right to create
// topics is only logged: the topic may exist already, or be created by an
// operator, as event hubs are.
func ensureTopic(ctx context.Context, cl *kgo.Client, c KafkaConfig) error {
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, c.Partitions, c.ReplicationFactor, nil, c.Topic)
	switch {
	case err == nil:
		c.Logger.Info("created the events topic", "topic", c.Topic, "partitions", resp.NumPartitions)
		return nil
	case errors.Is(err, kerr.TopicAlreadyExists):
		return nil
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed):
		c.Logger.Warn("not allowed to create the events topic; it must exist already", "topic", c.Topic, "err", err)
		return nil
	}
	return fmt.Errorf("events: creating topic %q with %d partitions: %w", c.Topic, c.Partitions, err)
}
