package gateway

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/storage/roles"
)

// RoleAuth returns SCRAM-SHA-256 authentication against the verifiers of
// the role database. A role that does not exist, has no password, or whose
// VALID UNTIL has passed fails like a wrong password (FATAL 28P01), so the
// exchange does not tell which roles exist; a role without LOGIN
// authenticates and is then refused by the session (FATAL 28000), as in
// PostgreSQL. Lookups read the store's snapshot (see roles.Store's TTL).
func RoleAuth(store *roles.Store) pgwire.Auth {
	return pgwire.Auth{Method: pgwire.AuthSCRAMSHA256, Lookup: func(ctx context.Context, user string) (pgwire.SCRAMVerifier, error) {
		st, err := store.Snapshot(ctx)
		if err != nil {
			return pgwire.SCRAMVerifier{}, err
		}
		r := st.Role(user)
		switch {
		case r == nil:
			return pgwire.SCRAMVerifier{}, fmt.Errorf("role %q: %w", user, pgwire.ErrUnknownUser)
		case r.Verifier == nil:
			return pgwire.SCRAMVerifier{}, fmt.Errorf("role %q has no password: %w", user, pgwire.ErrUnknownUser)
		case r.Expired(store.Now()):
			return pgwire.SCRAMVerifier{}, fmt.Errorf("role %q: password expired: %w", user, pgwire.ErrUnknownUser)
		}
		v := r.Verifier
		return pgwire.SCRAMVerifier{Salt: v.Salt, Iterations: v.Iterations, StoredKey: v.StoredKey, ServerKey: v.ServerKey}, nil
	}}
}

// SetPassword sets the password of role user (the bootstrap superuser
// "lancegate" for serve's --password), creating the role as a superuser
// with LOGIN when it does not exist. A password that the stored verifier
// already matches is left alone, so restarting with the same --password
// writes nothing.
func SetPassword(ctx context.Context, store *roles.Store, user, password string) error {
	st, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	if r := st.Role(user); r != nil && r.Verifier != nil {
		v := r.Verifier
		again, err := pgwire.NewSCRAMVerifier(password, v.Salt, v.Iterations)
		if err == nil && subtle.ConstantTimeCompare(again.StoredKey, v.StoredKey) == 1 &&
			subtle.ConstantTimeCompare(again.ServerKey, v.ServerKey) == 1 {
			return nil
		}
	}
	v, err := verifierOf(password)
	if err != nil {
		return err
	}
	_, err = store.Update(ctx, func(st *roles.State) error {
		r := st.Role(user)
		if r == nil {
			if r, err = st.Create(roles.Role{Name: user, Login: true, Superuser: true, CreateRole: true, CreateDB: true, Inherit: true, ConnLimit: -1}); err != nil {
				return err
			}
		}
		r.Verifier = v
		return nil
	})
	return err
}
