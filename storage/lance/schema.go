package lance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Schema is a dataset's schema in both of its forms: the Lance field list
// (pre-order, with the field ids data files refer to) and the Arrow schema
// that scans produce. It is immutable.
type Schema struct {
	arrow  *arrow.Schema
	fields []*pb.Field
	// top holds the Lance field of each top-level Arrow field, in order.
	top []*pb.Field
	// unsupported holds, per top-level field, why its type cannot be read
	// ("" when it can).
	unsupported []string
}

// Arrow returns the Arrow schema. Fields whose Lance type lancegate cannot
// map are present with arrow.Null type; Unsupported says why.
func (s *Schema) Arrow() *arrow.Schema { return s.arrow }

// Fields returns the Lance fields in pre-order. Callers must not modify
// them.
func (s *Schema) Fields() []*pb.Field { return s.fields }

// FieldID returns the Lance field id of top-level column i.
func (s *Schema) FieldID(i int) int32 { return s.top[i].Id }

// ColumnFieldID returns the field id that 2.1+ data files list for
// top-level column i: there only leaf fields have columns, so a list of a
// flat type is stored under its item's id. Other columns use their own id.
func (s *Schema) ColumnFieldID(i int) int32 {
	f := s.top[i]
	if f.LogicalType == "list" || f.LogicalType == "large_list" {
		for _, c := range s.fields {
			if c.ParentId == f.Id {
				return c.Id
			}
		}
	}
	return f.Id
}

// HasLists reports whether any top-level column is a list, which only 2.1+
// data files can hold.
func (s *Schema) HasLists() bool {
	for _, f := range s.arrow.Fields() {
		if id := f.Type.ID(); id == arrow.LIST || id == arrow.LARGE_LIST {
			return true
		}
	}
	return false
}

// Unsupported returns why top-level column i cannot be read, or "".
func (s *Schema) Unsupported(i int) string { return s.unsupported[i] }

// Index returns the position of the top-level column named name, or -1.
func (s *Schema) Index(name string) int {
	for i, f := range s.arrow.Fields() {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// MaxFieldID returns the largest field id in the schema, or -1.
func (s *Schema) MaxFieldID() int32 {
	m := int32(-1)
	for _, f := range s.fields {
		m = max(m, f.Id)
	}
	return m
}

// NewSchema converts an Arrow schema to a Lance schema, numbering fields in
// pre-order from firstID.
func NewSchema(as *arrow.Schema, firstID int32) (*Schema, error) {
	var fields []*pb.Field
	next := firstID
	var add func(f arrow.Field, parent int32) error
	add = func(f arrow.Field, parent int32) error {
		lt, err := LogicalType(f.Type)
		if err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
		pf := &pb.Field{
			Name:        f.Name,
			Id:          next,
			ParentId:    parent,
			LogicalType: lt,
			Nullable:    f.Nullable,
			Encoding:    legacyEncoding(f.Type),
		}
		if f.HasMetadata() {
			pf.Metadata = map[string][]byte{}
			for i, k := range f.Metadata.Keys() {
				pf.Metadata[k] = []byte(f.Metadata.Values()[i])
			}
		}
		next++
		fields = append(fields, pf)
		switch t := f.Type.(type) {
		case *arrow.StructType:
			for _, c := range t.Fields() {
				if err := add(c, pf.Id); err != nil {
					return err
				}
			}
		case *arrow.ListType:
			return add(t.ElemField(), pf.Id)
		case *arrow.LargeListType:
			return add(t.ElemField(), pf.Id)
		}
		return nil
	}
	for _, f := range as.Fields() {
		if err := add(f, -1); err != nil {
			return nil, err
		}
	}
	return SchemaFromFields(fields, metadataMap(as.Metadata()))
}

func metadataMap(md arrow.Metadata) map[string][]byte {
	if md.Len() == 0 {
		return nil
	}
	m := make(map[string][]byte, md.Len())
	for i, k := range md.Keys() {
		m[k] = []byte(md.Values()[i])
	}
	return m
}

// legacyEncoding is the deprecated Field.encoding Lance still writes.
func legacyEncoding(dt arrow.DataType) pb.LegacyEncoding {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return pb.LegacyEncoding_VAR_BINARY
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST:
		return pb.LegacyEncoding_NONE
	}
	return pb.LegacyEncoding_PLAIN
}

// SchemaFromFields builds a schema from a manifest's pre-order field list
// and schema metadata. A field whose type cannot be mapped does not fail
// the schema: its column is marked unsupported.
func SchemaFromFields(fields []*pb.Field, metadata map[string][]byte) (*Schema, error) {
	children := map[int32][]*pb.Field{}
	seen := map[int32]bool{}
	var top []*pb.Field
	for _, f := range fields {
		if seen[f.Id] {
			return nil, fmt.Errorf("%w: duplicate field id %d", ErrCorrupt, f.Id)
		}
		seen[f.Id] = true
		if f.ParentId == -1 {
			top = append(top, f)
			continue
		}
		if !seen[f.ParentId] {
			return nil, fmt.Errorf("%w: field %q (id %d) precedes its parent %d", ErrCorrupt, f.Name, f.Id, f.ParentId)
		}
		children[f.ParentId] = append(children[f.ParentId], f)
	}
	s := &Schema{fields: fields, top: top}
	afs := make([]arrow.Field, len(top))
	s.unsupported = make([]string, len(top))
	for i, f := range top {
		af, err := arrowField(f, children, 0)
		if err != nil {
			af = arrow.Field{Name: f.Name, Type: arrow.Null, Nullable: true}
			s.unsupported[i] = err.Error()
		}
		afs[i] = af
	}
	var md arrow.Metadata
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		vals := make([]string, 0, len(metadata))
		for k, v := range metadata {
			keys = append(keys, k)
			vals = append(vals, string(v))
		}
		md = arrow.NewMetadata(keys, vals)
	}
	s.arrow = arrow.NewSchema(afs, &md)
	return s, nil
}

func arrowField(f *pb.Field, children map[int32][]*pb.Field, depth int) (arrow.Field, error) {
	if depth > 32 {
		return arrow.Field{}, fmt.Errorf("%w: schema nested too deeply", ErrCorrupt)
	}
	af := arrow.Field{Name: f.Name, Nullable: f.Nullable}
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		vals := make([]string, 0, len(f.Metadata))
		for k, v := range f.Metadata {
			keys = append(keys, k)
			vals = append(vals, string(v))
		}
		af.Metadata = arrow.NewMetadata(keys, vals)
	}
	lt := f.LogicalType
	switch {
	case lt == "struct":
		var fs []arrow.Field
		for _, c := range children[f.Id] {
			cf, err := arrowField(c, children, depth+1)
			if err != nil {
				return af, err
			}
			fs = append(fs, cf)
		}
		af.Type = arrow.StructOf(fs...)
	case lt == "list" || lt == "list.struct" || lt == "large_list" || lt == "large_list.struct":
		cs := children[f.Id]
		if len(cs) != 1 {
			return af, fmt.Errorf("%w: list field %q has %d children", ErrCorrupt, f.Name, len(cs))
		}
		cf, err := arrowField(cs[0], children, depth+1)
		if err != nil {
			return af, err
		}
		if strings.HasPrefix(lt, "large_") {
			af.Type = arrow.LargeListOfField(cf)
		} else {
			af.Type = arrow.ListOfField(cf)
		}
	default:
		dt, err := ParseLogicalType(lt)
		if err != nil {
			return af, err
		}
		af.Type = dt
	}
	return af, nil
}

// LogicalType returns the Lance logical type string of an Arrow type.
func LogicalType(dt arrow.DataType) (string, error) {
	switch t := dt.(type) {
	case *arrow.NullType:
		return "null", nil
	case *arrow.BooleanType:
		return "bool", nil
	case *arrow.Int8Type:
		return "int8", nil
	case *arrow.Uint8Type:
		return "uint8", nil
	case *arrow.Int16Type:
		return "int16", nil
	case *arrow.Uint16Type:
		return "uint16", nil
	case *arrow.Int32Type:
		return "int32", nil
	case *arrow.Uint32Type:
		return "uint32", nil
	case *arrow.Int64Type:
		return "int64", nil
	case *arrow.Uint64Type:
		return "uint64", nil
	case *arrow.Float16Type:
		return "halffloat", nil
	case *arrow.Float32Type:
		return "float", nil
	case *arrow.Float64Type:
		return "double", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal:128:%d:%d", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		return fmt.Sprintf("decimal:256:%d:%d", t.Precision, t.Scale), nil
	case *arrow.StringType:
		return "string", nil
	case *arrow.LargeStringType:
		return "large_string", nil
	case *arrow.BinaryType:
		return "binary", nil
	case *arrow.LargeBinaryType:
		return "large_binary", nil
	case *arrow.Date32Type:
		return "date32:day", nil
	case *arrow.Date64Type:
		return "date64:ms", nil
	case *arrow.Time32Type:
		return "time32:" + unitString(t.Unit), nil
	case *arrow.Time64Type:
		return "time64:" + unitString(t.Unit), nil
	case *arrow.DurationType:
		return "duration:" + unitString(t.Unit), nil
	case *arrow.TimestampType:
		if strings.Contains(t.TimeZone, ":") {
			return "", fmt.Errorf("%w: time zone %q does not survive a Lance schema", ErrUnsupportedType, t.TimeZone)
		}
		tz := t.TimeZone
		if tz == "" {
			tz = "-"
		}
		return "timestamp:" + unitString(t.Unit) + ":" + tz, nil
	case *arrow.StructType:
		return "struct", nil
	case *arrow.ListType:
		if t.Elem().ID() == arrow.STRUCT {
			return "list.struct", nil
		}
		return "list", nil
	case *arrow.LargeListType:
		if t.Elem().ID() == arrow.STRUCT {
			return "large_list.struct", nil
		}
		return "large_list", nil
	case *arrow.FixedSizeListType:
		e, err := LogicalType(t.Elem())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("fixed_size_list:%s:%d", e, t.Len()), nil
	case *arrow.FixedSizeBinaryType:
		return fmt.Sprintf("fixed_size_binary:%d", t.ByteWidth), nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnsupportedType, dt)
}

func unitString(u arrow.TimeUnit) string {
	switch u {
	case arrow.Second:
		return "s"
	case arrow.Millisecond:
		return "ms"
	case arrow.Microsecond:
		return "us"
	}
	return "ns"
}

func parseUnit(s string) (arrow.TimeUnit, bool) {
	switch s {
	case "s":
		return arrow.Second, true
	case "ms":
		return arrow.Millisecond, true
	case "us":
		return arrow.Microsecond, true
	case "ns":
		return arrow.Nanosecond, true
	}
	return 0, false
}

var simpleTypes = map[string]arrow.DataType{
	"null":         arrow.Null,
	"bool":         arrow.FixedWidthTypes.Boolean,
	"int8":         arrow.PrimitiveTypes.Int8,
	"uint8":        arrow.PrimitiveTypes.Uint8,
	"int16":        arrow.PrimitiveTypes.Int16,
	"uint16":       arrow.PrimitiveTypes.Uint16,
	"int32":        arrow.PrimitiveTypes.Int32,
	"uint32":       arrow.PrimitiveTypes.Uint32,
	"int64":        arrow.PrimitiveTypes.Int64,
	"uint64":       arrow.PrimitiveTypes.Uint64,
	"halffloat":    arrow.FixedWidthTypes.Float16,
	"float":        arrow.PrimitiveTypes.Float32,
	"double":       arrow.PrimitiveTypes.Float64,
	"string":       arrow.BinaryTypes.String,
	"large_string": arrow.BinaryTypes.LargeString,
	"binary":       arrow.BinaryTypes.Binary,
	"large_binary": arrow.BinaryTypes.LargeBinary,
	"date32:day":   arrow.FixedWidthTypes.Date32,
	"date64:ms":    arrow.FixedWidthTypes.Date64,
}

// ParseLogicalType maps a Lance logical type string of a non-nested type
// (including fixed-size lists) to an Arrow type.
func ParseLogicalType(lt string) (arrow.DataType, error) {
	if dt, ok := simpleTypes[lt]; ok {
		return dt, nil
	}
	parts := strings.Split(lt, ":")
	bad := fmt.Errorf("%w: logical type %q", ErrUnsupportedType, lt)
	switch parts[0] {
	case "time32", "time64", "duration":
		if len(parts) != 2 {
			return nil, bad
		}
		u, ok := parseUnit(parts[1])
		if !ok {
			return nil, bad
		}
		switch {
		case parts[0] == "duration":
			return &arrow.DurationType{Unit: u}, nil
		case parts[0] == "time32" && (u == arrow.Second || u == arrow.Millisecond):
			return &arrow.Time32Type{Unit: u}, nil
		case parts[0] == "time64" && (u == arrow.Microsecond || u == arrow.Nanosecond):
			return &arrow.Time64Type{Unit: u}, nil
		}
		return nil, bad
	case "timestamp":
		if len(parts) != 3 {
			return nil, bad
		}
		u, ok := parseUnit(parts[1])
		if !ok {
			return nil, bad
		}
		tz := parts[2]
		if tz == "-" {
			tz = ""
		}
		return &arrow.TimestampType{Unit: u, TimeZone: tz}, nil
	case "decimal":
		if len(parts) != 4 {
			return nil, bad
		}
		p, err1 := strconv.Atoi(parts[2])
		s, err2 := strconv.Atoi(parts[3])
		if err1 != nil || err2 != nil {
			return nil, bad
		}
		switch parts[1] {
		case "128":
			return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
		case "256":
			return &arrow.Decimal256Type{Precision: int32(p), Scale: int32(s)}, nil
		}
		return nil, bad
	case "fixed_size_binary":
		if len(parts) != 2 {
			return nil, bad
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil || n <= 0 {
			return nil, bad
		}
		return &arrow.FixedSizeBinaryType{ByteWidth: n}, nil
	case "fixed_size_list":
		if len(parts) < 3 {
			return nil, bad
		}
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil || n <= 0 {
			return nil, bad
		}
		elem := strings.Join(parts[1:len(parts)-1], ":")
		et, err := ParseLogicalType(elem)
		if err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOf(int32(n), et), nil
	}
	return nil, bad
}
