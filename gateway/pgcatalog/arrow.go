package pgcatalog

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// AppendValue appends one catalog Value to a builder of its column's
// Arrow type (pgtype.Type.Arrow): nil appends NULL; slices append lists.
func AppendValue(b array.Builder, v Value) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		if x, ok := v.(bool); ok {
			b.Append(x)
			return nil
		}
	case *array.Int16Builder:
		if x, ok := v.(int16); ok {
			b.Append(x)
			return nil
		}
	case *array.Int32Builder:
		if x, ok := v.(int32); ok {
			b.Append(x)
			return nil
		}
	case *array.Int64Builder:
		if x, ok := v.(int64); ok {
			b.Append(x)
			return nil
		}
	case *array.Float32Builder:
		if x, ok := v.(float32); ok {
			b.Append(x)
			return nil
		}
	case *array.Uint32Builder:
		if x, ok := v.(uint32); ok {
			b.Append(x)
			return nil
		}
	case *array.TimestampBuilder:
		if x, ok := v.(int64); ok {
			b.Append(arrow.Timestamp(x))
			return nil
		}
	case *array.StringBuilder:
		if x, ok := v.(string); ok {
			b.Append(x)
			return nil
		}
	case *array.ListBuilder:
		switch x := v.(type) {
		case []int16:
			b.Append(true)
			vb := b.ValueBuilder().(*array.Int16Builder)
			vb.AppendValues(x, nil)
			return nil
		case []uint32:
			b.Append(true)
			vb := b.ValueBuilder().(*array.Uint32Builder)
			vb.AppendValues(x, nil)
			return nil
		case []string:
			b.Append(true)
			vb := b.ValueBuilder().(*array.StringBuilder)
			vb.AppendValues(x, nil)
			return nil
		}
	}
	b.AppendNull()
	return fmt.Errorf("pgcatalog: %T value for a %s column", v, b.Type())
}
