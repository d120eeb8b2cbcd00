package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Object identifiers.
//
// PostgreSQL clients cache OIDs: psql feeds a table's OID from one \d query
// into the next, pgjdbc keys field metadata by table OID, drivers keep
// type OIDs per connection. So a relation's OID must not change while it
// exists, must be the same on every query node, and must not be reused
// after it is dropped. Every node derives OIDs from two kinds of empty
// objects in the storage root, written with PutIfAbsent only:
//
//	_lancegate/oids/claims/0000017001          the OID 17001 is taken (never deleted)
//	_lancegate/oids/name/items                 "17001": relation items has OID 17001
//	_lancegate/oids/rel/items@0000017001       the same fact, readable from a listing
//
// Allocating takes the number after the highest claim and claims it with
// PutIfAbsent, moving on when another node won the number. The relation's
// name/ object, also written with PutIfAbsent, decides which of two nodes
// assigning an OID to one relation at once wins; the loser's claim stays
// unused. The winner then writes the rel/ object, so that reading every
// relation's OID is one listing of rel/ (a relation whose rel/ object is
// missing, after a crash between the two writes, gets it on the next
// AssignOID). Dropping a relation deletes its rel/ and name/ objects and
// keeps the claim, so a table created again under the same name gets a
// new OID, as in PostgreSQL.
//
// OIDs below FirstUserOID belong to PostgreSQL's built-in objects and to
// the objects lancegate defines itself (the vector type 16385, …).

// FirstUserOID is the first OID given to a user object.
const FirstUserOID = 17000

const (
	oidClaims = "_lancegate/oids/claims/"
	oidNames  = "_lancegate/oids/name/"
	oidRels   = "_lancegate/oids/rel/"
)

// ErrOIDsExhausted reports that no OID below 2^31 is left.
var ErrOIDsExhausted = errors.New("object identifiers exhausted")

func claimKey(oid uint32) string { return fmt.Sprintf("%s%010d", oidClaims, oid) }

func relKey(name string, oid uint32) string { return fmt.Sprintf("%s%s@%010d", oidRels, name, oid) }

// RelationOIDs returns the OID of every relation that has one.
func (c *Catalog) RelationOIDs(ctx context.Context) (map[string]uint32, error) {
	out := map[string]uint32{}
	for info, err := range c.store.List(ctx, oidRels) {
		if err != nil {
			return nil, fmt.Errorf("catalog: list oids: %w", err)
		}
		name, oid, ok := parseRelKey(info.Key)
		if !ok {
			continue
		}
		out[name] = oid
	}
	return out, nil
}

func parseRelKey(key string) (string, uint32, bool) {
	rest, ok := strings.CutPrefix(key, oidRels)
	if !ok {
		return "", 0, false
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 {
		return "", 0, false
	}
	v, err := strconv.ParseUint(rest[at+1:], 10, 32)
	if err != nil {
		return "", 0, false
	}
	return rest[:at], uint32(v), true
}

// AssignOID returns the OID of relation name, allocating one if it has
// none.
func (c *Catalog) AssignOID(ctx context.Context, name string) (uint32, error) {
	oid, err := c.namedOID(ctx, name)
	if err != nil {
		return 0, err
	}
	if oid == 0 {
		if oid, err = c.claimOID(ctx); err != nil {
			return 0, err
		}
		err := c.store.PutIfAbsent(ctx, oidNames+name, []byte(strconv.FormatUint(uint64(oid), 10)))
		switch {
		case errors.Is(err, objstore.ErrPreconditionFailed):
			// Another node won: its OID is the relation's.
			if oid, err = c.namedOID(ctx, name); err != nil {
				return 0, err
			}
		case err != nil:
			return 0, fmt.Errorf("catalog: record oid of %s: %w", name, err)
		}
	}
	err = c.store.PutIfAbsent(ctx, relKey(name, oid), nil)
	if err != nil && !errors.Is(err, objstore.ErrPreconditionFailed) {
		return 0, fmt.Errorf("catalog: record oid of %s: %w", name, err)
	}
	return oid, nil
}

// namedOID reads the name/ object of a relation: its OID, or 0.
func (c *Catalog) namedOID(ctx context.Context, name string) (uint32, error) {
	data, err := c.store.GetRange(ctx, oidNames+name, 0, -1)
	if errors.Is(err, objstore.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: read oid of %s: %w", name, err)
	}
	v, err := strconv.ParseUint(string(data), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("catalog: oid record of %s holds %q", name, data)
	}
	return uint32(v), nil
}

// claimOID claims the next free OID.
func (c *Catalog) claimOID(ctx context.Context) (uint32, error) {
	next := uint32(FirstUserOID)
	for info, err := range c.store.List(ctx, oidClaims) {
		if err != nil {
			return 0, fmt.Errorf("catalog: list oid claims: %w", err)
		}
		if v, err := strconv.ParseUint(strings.TrimPrefix(info.Key, oidClaims), 10, 32); err == nil && uint32(v) >= next {
			next = uint32(v) + 1
		}
	}
	for ; next < 1<<31; next++ {
		err := c.store.PutIfAbsent(ctx, claimKey(next), nil)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, objstore.ErrPreconditionFailed) {
			return 0, fmt.Errorf("catalog: claim oid: %w", err)
		}
	}
	return 0, ErrOIDsExhausted
}

// ReleaseOID forgets the OID of a dropped relation; its number stays
// claimed so it is never given again.
func (c *Catalog) ReleaseOID(ctx context.Context, name string) error {
	for info, err := range c.store.List(ctx, oidRels+name+"@") {
		if err != nil {
			return fmt.Errorf("catalog: list oids: %w", err)
		}
		if n, _, ok := parseRelKey(info.Key); ok && n == name {
			if err := c.store.Delete(ctx, info.Key); err != nil {
				return fmt.Errorf("catalog: release oid of %s: %w", name, err)
			}
		}
	}
	if err := c.store.Delete(ctx, oidNames+name); err != nil {
		return fmt.Errorf("catalog: release oid of %s: %w", name, err)
	}
	return nil
}
