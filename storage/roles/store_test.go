package roles_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/roles"
)

func localStore(t *testing.T) (objstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	obj, _ := localStore(t)
	st, err := roles.New(obj, roles.Options{}).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := st.Role(roles.BootstrapName)
	if r == nil || r.OID != roles.BootstrapOID || !r.Superuser || !r.Login {
		t.Fatalf("bootstrap role = %+v", r)
	}
	if st.Version != 0 || st.NextOID != roles.FirstOID {
		t.Fatalf("version %d next OID %d", st.Version, st.NextOID)
	}
}

func TestCreateGrantReopen(t *testing.T) {
	ctx := context.Background()
	obj, dir := localStore(t)
	s := roles.New(obj, roles.Options{})
	v := &roles.Verifier{Salt: []byte("salt"), Iterations: 4096, StoredKey: make([]byte, 32), ServerKey: make([]byte, 32)}
	if _, err := s.Update(ctx, func(st *roles.State) error {
		r, err := st.Create(roles.Role{Name: "alice", Login: true, Inherit: true, ConnLimit: -1, Verifier: v})
		if err != nil {
			return err
		}
		st.Grant("t", r.OID, roles.Select|roles.Insert)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(ctx, func(st *roles.State) error {
		_, err := st.Create(roles.Role{Name: "alice"})
		return err
	})
	if !errors.Is(err, roles.ErrRoleExists) {
		t.Fatalf("second create: %v", err)
	}

	// A new store over the same folder (a restart) sees the role.
	obj2, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := roles.New(obj2, roles.Options{}).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := st.Role("alice")
	if a == nil || a.OID != roles.FirstOID || a.Verifier == nil || string(a.Verifier.Salt) != "salt" {
		t.Fatalf("alice = %+v", a)
	}
	if got := st.Privileges(a, "t"); got != roles.Select|roles.Insert {
		t.Fatalf("privileges = %v", got)
	}
	if got := st.Privileges(a, "u"); got != 0 {
		t.Fatalf("privileges on u = %v", got)
	}
	if got := st.Privileges(st.Role(roles.BootstrapName), "u"); got != roles.All {
		t.Fatalf("superuser privileges = %v", got)
	}
	if err := st.Drop("alice"); !errors.Is(err, roles.ErrDependentObjects) {
		t.Fatalf("drop with grants: %v", err)
	}
}

func TestPublicOwnerMembership(t *testing.T) {
	st := roles.Bootstrap()
	a, _ := st.Create(roles.Role{Name: "a", Inherit: true})
	g, _ := st.Create(roles.Role{Name: "g", Inherit: true})
	n, _ := st.Create(roles.Role{Name: "n"})
	st.SetOwner("owned", a.OID)
	st.Grant("t", roles.PublicOID, roles.Select)
	st.Grant("t", g.OID, roles.Delete)
	a.MemberOf = append(a.MemberOf, g.OID)
	n.MemberOf = append(n.MemberOf, g.OID)
	if got := st.Privileges(a, "owned"); got != roles.All {
		t.Fatalf("owner: %v", got)
	}
	if got := st.Privileges(a, "t"); got != roles.Select|roles.Delete {
		t.Fatalf("member: %v", got)
	}
	if got := st.Privileges(n, "t"); got != roles.Select {
		t.Fatalf("noinherit member: %v", got)
	}
	st.Revoke("t", roles.PublicOID, roles.Select)
	if got := st.Privileges(n, "t"); got != 0 {
		t.Fatalf("after revoke: %v", got)
	}
	if err := st.Rename("a", "b"); err != nil || st.Role("b") == nil || st.Privileges(st.Role("b"), "owned") != roles.All {
		t.Fatalf("rename: %v", err)
	}
}

// TestConcurrentStores has two stores (two query nodes) over one folder
// grant at the same time: every grant and every created role survives, and
// no OID is handed out twice.
func TestConcurrentStores(t *testing.T) {
	ctx := context.Background()
	_, dir := localStore(t)
	var stores [2]*roles.Store
	for i := range stores {
		obj, err := objstore.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = roles.New(obj, roles.Options{TTL: -1})
	}
	const per = 12
	var wg sync.WaitGroup
	errs := make(chan error, 2*per)
	for i, s := range stores {
		for j := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("r%d_%d", i, j)
				_, err := s.Update(ctx, func(st *roles.State) error {
					r, err := st.Create(roles.Role{Name: name})
					if err != nil {
						return err
					}
					st.Grant("t", r.OID, roles.Select)
					st.Grant("t", roles.PublicOID, roles.Privilege(1<<(j%4)))
					return nil
				})
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := stores[0].Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 2*per {
		t.Fatalf("version %d, want %d", st.Version, 2*per)
	}
	oids := map[uint32]string{}
	for i := range 2 {
		for j := range per {
			name := fmt.Sprintf("r%d_%d", i, j)
			r := st.Role(name)
			if r == nil {
				t.Fatalf("role %s lost", name)
			}
			if o, dup := oids[r.OID]; dup {
				t.Fatalf("OID %d given to %s and %s", r.OID, o, name)
			}
			oids[r.OID] = name
			if st.Privileges(r, "t") != roles.All {
				t.Fatalf("%s: privileges %v", name, st.Privileges(r, "t"))
			}
			if st.Tables["t"].Grants[r.OID] != roles.Select {
				t.Fatalf("grant to %s lost", name)
			}
		}
	}
	// Old versions were cleaned up.
	n := 0
	obj, _ := objstore.NewLocal(dir)
	for _, err := range obj.List(ctx, roles.Dir) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n > roles.Keep+2 {
		t.Fatalf("%d versions kept", n)
	}
}

func TestSnapshotTTL(t *testing.T) {
	ctx := context.Background()
	obj, dir := localStore(t)
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	a := roles.New(obj, roles.Options{TTL: time.Second, Now: clock})
	obj2, _ := objstore.NewLocal(dir)
	b := roles.New(obj2, roles.Options{TTL: time.Second, Now: clock})
	if _, err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, func(st *roles.State) error {
		_, err := st.Create(roles.Role{Name: "x"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, _ := a.Snapshot(ctx)
	if st.Role("x") != nil {
		t.Fatal("cached snapshot already sees the other store's change")
	}
	now = now.Add(2 * time.Second)
	st, _ = a.Snapshot(ctx)
	if st.Role("x") == nil {
		t.Fatal("snapshot after TTL misses the change")
	}
	st, _ = b.Snapshot(ctx)
	if st.Role("x") == nil {
		t.Fatal("the writing store does not see its own change")
	}
}

// FuzzLoad stores arbitrary bytes as the newest role document: Load either
// fails or returns a state whose privilege checks do not panic.
func FuzzLoad(f *testing.F) {
	st := roles.Bootstrap()
	a, _ := st.Create(roles.Role{Name: "a", Login: true, Inherit: true, MemberOf: []uint32{roles.BootstrapOID}})
	st.Grant("t", a.OID, roles.Select)
	st.Grant("t", roles.PublicOID, roles.Insert)
	st.Version = 1
	seed, err := json.Marshal(st)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"version":1,"next_oid":16384,"roles":{"x":null}}`))
	f.Add([]byte(`{"version":1,"roles":{"x":{"name":"x","oid":20000,"member_of":[20000]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		mem := objstore.NewMemory()
		key := fmt.Sprintf("%s%020d.json", roles.Dir, uint64(math.MaxUint64-1))
		if err := mem.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		st, err := roles.New(mem, roles.Options{}).Load(ctx)
		if err != nil {
			return
		}
		for _, r := range st.Roles {
			st.Privileges(r, "t")
			st.IsMember(r, roles.BootstrapOID)
		}
	})
}
