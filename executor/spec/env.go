package spec

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// Env is the serialisable part of an expr.Env: the parameter values and
// types, the statement time and the text options. The allocator is the
// receiving node's.
type Env struct {
	// ParamTypes are the statement's parameter types ($1 first).
	ParamTypes []Type `json:"param_types,omitempty"`
	// Params holds the parameter values as Arrow IPC stream bytes of a
	// one-row record, a column per parameter (NULL for SQL NULL); empty
	// when there are no parameters.
	Params []byte `json:"params,omitempty"`
	// Now is the statement's transaction start time (nanoseconds kept;
	// the zone travels as an offset).
	Now time.Time `json:"now"`
	// Text is nil when the Env had no text options.
	Text *TextOptions `json:"text,omitempty"`
}

// TextOptions are pgtype.TextOptions on the wire.
type TextOptions struct {
	// TimeZone is the zone's name ("Europe/Berlin", "UTC", or the name of
	// a fixed offset zone such as "<+02>-2"); empty for a nil zone.
	TimeZone string `json:"time_zone,omitempty"`
	// ZoneOffset, when set, marks a fixed zone: seconds east of UTC.
	ZoneOffset       *int `json:"zone_offset,omitempty"`
	ExtraFloatDigits int  `json:"extra_float_digits"`
	ByteaHex         bool `json:"bytea_hex"`
}

// EncodeEnv returns the serialisable part of env; paramTypes are the types
// of env.Params (one per parameter).
func EncodeEnv(env *expr.Env, paramTypes []pgtype.Type) (*Env, error) {
	if env == nil {
		return nil, errors.New("spec: nil Env")
	}
	if len(paramTypes) != len(env.Params) {
		return nil, fmt.Errorf("spec: %d parameter values for %d parameter types", len(env.Params), len(paramTypes))
	}
	out := &Env{ParamTypes: wireTypes(paramTypes), Now: env.Now}
	if len(env.Params) > 0 {
		cols := make([]arrow.Array, len(env.Params))
		for i, p := range env.Params {
			if p == nil || !p.IsValid() {
				dt, err := paramTypes[i].Arrow()
				if err != nil {
					dt = arrow.Null
				}
				cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, dt, 1)
				continue
			}
			a, err := constArray(p)
			if err != nil {
				return nil, fmt.Errorf("%w: parameter $%d of type %s: %v", ErrUnsupported, i+1, paramTypes[i], err)
			}
			cols[i] = a
		}
		b, err := oneRowIPC(cols, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		out.Params = b
	}
	if env.Text != nil {
		t := &TextOptions{ExtraFloatDigits: env.Text.ExtraFloatDigits, ByteaHex: env.Text.ByteaHex}
		if loc := env.Text.TimeZone; loc != nil {
			name, fixed, off, err := zoneOf(loc)
			if err != nil {
				return nil, err
			}
			t.TimeZone = name
			if fixed {
				t.ZoneOffset = &off
			}
		}
		out.Text = t
	}
	return out, nil
}

// zoneProbes are instants at which a named zone must agree with the
// location the name loads, and at which a fixed zone has one offset.
var zoneProbes = []time.Time{
	time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2000, 1, 15, 0, 0, 0, 0, time.UTC),
	time.Date(2000, 7, 15, 0, 0, 0, 0, time.UTC),
	time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
	time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC),
}

// zoneOf tells how loc travels: by a name that loads the same zone, or as
// a fixed offset.
func zoneOf(loc *time.Location) (name string, fixed bool, offset int, err error) {
	name = loc.String()
	if loc == time.UTC {
		return "UTC", false, 0, nil
	}
	if l, err := time.LoadLocation(name); err == nil && sameZone(l, loc) {
		return name, false, 0, nil
	}
	_, offset = zoneProbes[0].In(loc).Zone()
	for _, p := range zoneProbes[1:] {
		if _, o := p.In(loc).Zone(); o != offset {
			return "", false, 0, fmt.Errorf("%w: time zone %q is neither a known zone nor a fixed offset", ErrUnsupported, name)
		}
	}
	return name, true, offset, nil
}

func sameZone(a, b *time.Location) bool {
	for _, p := range zoneProbes {
		na, oa := p.In(a).Zone()
		nb, ob := p.In(b).Zone()
		if na != nb || oa != ob {
			return false
		}
	}
	return true
}

// Decode returns the expr.Env, allocating with mem. Parameter values are
// on the Go heap (nothing to release).
func (e *Env) Decode(mem memory.Allocator) (*expr.Env, error) {
	env := &expr.Env{Mem: mem, Now: e.Now}
	if len(e.Params) > 0 || len(e.ParamTypes) > 0 {
		if len(e.Params) == 0 {
			return nil, fmt.Errorf("spec: %d parameter types without values", len(e.ParamTypes))
		}
		rec, err := readOneRow(e.Params, mem)
		if err != nil {
			return nil, err
		}
		defer rec.Release()
		if err := checkTypes(e.ParamTypes...); err != nil {
			return nil, err
		}
		if int(rec.NumCols()) != len(e.ParamTypes) {
			return nil, fmt.Errorf("spec: %d parameter values for %d parameter types", rec.NumCols(), len(e.ParamTypes))
		}
		env.Params = make([]scalar.Scalar, rec.NumCols())
		for i, col := range rec.Columns() {
			s, err := heapScalar(col)
			if err != nil {
				return nil, fmt.Errorf("spec: parameter $%d: %w", i+1, err)
			}
			if !s.IsValid() {
				continue // NULL
			}
			if t := e.ParamTypes[i].pg(); !fits(s.DataType(), t) {
				return nil, fmt.Errorf("spec: parameter $%d of Arrow type %s for type %s", i+1, s.DataType(), t)
			}
			env.Params[i] = s
		}
	}
	if e.Text != nil {
		t := &pgtype.TextOptions{ExtraFloatDigits: e.Text.ExtraFloatDigits, ByteaHex: e.Text.ByteaHex}
		switch {
		case e.Text.ZoneOffset != nil:
			t.TimeZone = time.FixedZone(e.Text.TimeZone, *e.Text.ZoneOffset)
		case e.Text.TimeZone == "UTC":
			t.TimeZone = time.UTC
		case e.Text.TimeZone != "":
			loc, err := time.LoadLocation(e.Text.TimeZone)
			if err != nil {
				if loc, err = pgtype.LoadZone(e.Text.TimeZone); err != nil {
					return nil, fmt.Errorf("spec: time zone: %w", err)
				}
			}
			t.TimeZone = loc
		}
		env.Text = t
	}
	return env, nil
}
