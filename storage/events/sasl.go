package events

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// validate checks that the mechanism is known and has what it needs.
func (s SASLConfig) validate() error {
	switch s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" || s.TokenSource != nil {
			return fmt.Errorf("events: sasl credentials without sasl.mechanism: %w", ErrInvalidConfig)
		}
	case SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512:
		if s.Username == "" {
			return fmt.Errorf("events: sasl mechanism %s needs a username: %w", s.Mechanism, ErrInvalidConfig)
		}
	case SASLOAuthBearer:
		if s.TokenSource == nil {
			return fmt.Errorf("events: sasl mechanism %s needs a token source: %w", s.Mechanism, ErrInvalidConfig)
		}
	default:
		return fmt.Errorf("events: unknown sasl mechanism %q (want %s, %s, %s or %s): %w",
			s.Mechanism, SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512, SASLOAuthBearer, ErrInvalidConfig)
	}
	return nil
}

// mechanism returns the franz-go mechanism of a validated s, or nil.
func (s SASLConfig) mechanism() sasl.Mechanism {
	switch s.Mechanism {
	case SASLPlain:
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
	case SASLSCRAMSHA256:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
	case SASLSCRAMSHA512:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
	case SASLOAuthBearer:
		ts := s.TokenSource
		return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
			tok, err := ts(ctx)
			if err != nil {
				return oauth.Auth{}, fmt.Errorf("events: getting an OAUTHBEARER token: %w", err)
			}
			return oauth.Auth{Token: tok}, nil
		})
	}
	return nil
}
