package spec_test

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
)

func TestEnvRoundTrip(t *testing.T) {
	mem := checkedMem(t)
	env := testEnv(mem)
	w, err := spec.EncodeEnv(env, paramTypes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonTrip(t, w).Decode(mem)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mem != mem {
		t.Errorf("Mem is not the decoder's allocator")
	}
	if !got.Now.Equal(env.Now) || got.Now.Nanosecond() != 123456789 {
		t.Errorf("Now = %v, want %v", got.Now, env.Now)
	}
	if _, off := got.Now.Zone(); off != 2*3600 {
		t.Errorf("Now's zone offset = %d, want +2h", off)
	}
	if got.Text == nil || got.Text.TimeZone.String() != "Europe/Berlin" || got.Text.ExtraFloatDigits != 0 || got.Text.ByteaHex {
		t.Errorf("Text = %+v", got.Text)
	}
	if len(got.Params) != len(env.Params) {
		t.Fatalf("%d parameters, want %d", len(got.Params), len(env.Params))
	}
	for i, p := range env.Params {
		q := got.Params[i]
		switch {
		case p == nil:
			if q != nil {
				t.Errorf("$%d = %v, want NULL", i+1, q)
			}
		case q == nil || !scalar.Equals(p, q):
			t.Errorf("$%d = %v, want %v", i+1, q, p)
		}
	}
	// Parameters evaluate alike, through Param nodes.
	rec := oneRowBatch()
	defer rec.Release()
	for i, ty := range paramTypes {
		p := &expr.Param{Index: i, T: ty}
		evalBoth(t, p, env, p, got, rec)
		c := &expr.Cast{Arg: p, To: pgtype.Text}
		evalBoth(t, c, env, c, got, rec)
	}
}

func TestEnvZones(t *testing.T) {
	mem := checkedMem(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, loc := range []*time.Location{
		time.UTC, berlin, time.FixedZone("<+05:30>-05:30", 5*3600+1800), time.FixedZone("Europe/Berlin", 3600), nil,
	} {
		env := &expr.Env{Mem: mem, Text: &pgtype.TextOptions{TimeZone: loc, ExtraFloatDigits: 3, ByteaHex: true}}
		w, err := spec.EncodeEnv(env, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonTrip(t, w).Decode(mem)
		if err != nil {
			t.Fatal(err)
		}
		if got.Text.ExtraFloatDigits != 3 || !got.Text.ByteaHex || got.Params != nil {
			t.Errorf("%v: decoded %+v", loc, got)
		}
		if loc == nil {
			if got.Text.TimeZone != nil {
				t.Errorf("nil zone decoded as %v", got.Text.TimeZone)
			}
			continue
		}
		for _, p := range []time.Time{time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)} {
			wn, wo := p.In(loc).Zone()
			gn, gO := p.In(got.Text.TimeZone).Zone()
			if wn != gn || wo != gO {
				t.Errorf("%v at %v: zone %s%+d, want %s%+d", loc, p, gn, gO, wn, wo)
			}
		}
	}
	// No text options, no parameters.
	w, err := spec.EncodeEnv(&expr.Env{Mem: mem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonTrip(t, w).Decode(mem)
	if err != nil || got.Text != nil || got.Params != nil || !got.Now.IsZero() {
		t.Errorf("empty Env decoded as %+v, %v", got, err)
	}
}

func TestEnvErrors(t *testing.T) {
	mem := checkedMem(t)
	if _, err := spec.EncodeEnv(nil, nil); err == nil {
		t.Error("EncodeEnv(nil) succeeded")
	}
	env := testEnv(mem)
	if _, err := spec.EncodeEnv(env, paramTypes[:2]); err == nil {
		t.Error("EncodeEnv with too few types succeeded")
	}
	w, err := spec.EncodeEnv(env, paramTypes)
	if err != nil {
		t.Fatal(err)
	}
	bad := *w
	bad.ParamTypes = bad.ParamTypes[:3]
	if _, err := bad.Decode(mem); err == nil {
		t.Error("Decode with fewer types than values succeeded")
	}
	bad = *w
	bad.ParamTypes = append([]spec.Type{{OID: pgtype.OIDText, Mod: -1}}, bad.ParamTypes[1:]...)
	if _, err := bad.Decode(mem); err == nil {
		t.Error("Decode of an int4 value as text succeeded")
	}
	bad = *w
	bad.Params = []byte("junk")
	if _, err := bad.Decode(mem); err == nil {
		t.Error("Decode of junk parameters succeeded")
	}
	bad = *w
	bad.Text = &spec.TextOptions{TimeZone: "Nowhere/Special"}
	if _, err := bad.Decode(mem); err == nil {
		t.Error("Decode of an unknown zone succeeded")
	}
	// A fixed zone whose name loads nothing travels as its offset.
	odd := time.FixedZone("Odd", 0)
	if _, err := spec.EncodeEnv(&expr.Env{Text: &pgtype.TextOptions{TimeZone: odd}}, nil); err != nil {
		t.Errorf("fixed zone: %v", err)
	}
	// Parameter types with impossible modifiers are refused.
	bad = *w
	bad.ParamTypes = append([]spec.Type(nil), w.ParamTypes...)
	bad.ParamTypes[3].Mod = 1 << 30
	if _, err := bad.Decode(mem); err == nil {
		t.Error("Decode of numeric with a bad modifier succeeded")
	}
}
