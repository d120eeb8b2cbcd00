package deletion

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// rowIDField is the name of the one column of an ARROW_ARRAY file.
const rowIDField = "row_id"

// rowIDSchema is the exact schema of an ARROW_ARRAY file.
var rowIDSchema = arrow.NewSchema([]arrow.Field{{Name: rowIDField, Type: arrow.PrimitiveTypes.Uint32, Nullable: false}}, nil)

// arrowMagic ends (and starts) an Arrow IPC file; the footer's length, an
// int32, precedes the trailing one.
const arrowMagic = "ARROW1"

// Slots of the Arrow flatbuffer tables the footer check reads (File.fbs and
// Schema.fbs of the Arrow format).
const (
	footerSchema       = 1
	footerDictionaries = 2
	footerBatches      = 3
	blockSize          = 24 // struct Block {offset: long; metaDataLength: int; bodyLength: long}

	schemaFields   = 1
	schemaMetadata = 2

	fieldName       = 0
	fieldNullable   = 1
	fieldTypeType   = 2
	fieldType       = 3
	fieldDictionary = 4
	fieldChildren   = 5
	fieldMetadata   = 6

	intBitWidth = 0
	intIsSigned = 1

	typeInt = 2 // Type union tag of Int
)

// typeNames names the Arrow Type union tags, for messages.
var typeNames = [...]string{"none", "null", "int", "float", "binary", "utf8", "bool", "decimal", "date", "time", "timestamp", "interval", "list", "struct", "union", "fixed_size_binary", "fixed_size_list", "map", "duration", "large_binary", "large_utf8", "large_list", "run_end_encoded", "binary_view", "utf8_view", "list_view", "large_list_view"}

// checkFooter checks, before the Arrow reader sees data, that it ends with
// an Arrow IPC file footer whose schema is exactly rowIDSchema and which
// lists no dictionaries. The Arrow reader builds the schema with slices
// sized from unchecked flatbuffer lengths, so a few bytes of garbage could
// make it allocate without bound, which no recover catches; once the schema
// is known to be the one expected, what the reader allocates is sized by
// the budget allocator.
func checkFooter(data []byte) error {
	trailer := len(arrowMagic) + 4
	if len(data) < trailer+len(arrowMagic) || !bytes.HasSuffix(data, []byte(arrowMagic)) {
		return fmt.Errorf("%w: not an Arrow IPC file: no %s trailer", ErrCorrupt, arrowMagic)
	}
	n := int64(int32(binary.LittleEndian.Uint32(data[len(data)-trailer:])))
	if n <= 0 || n > int64(len(data)-trailer-len(arrowMagic)) {
		return fmt.Errorf("%w: not an Arrow IPC file: footer length %d in a file of %d bytes", ErrCorrupt, n, len(data))
	}
	footer := data[len(data)-trailer-int(n) : len(data)-trailer]
	if err := checkFooterTables(footer); err != nil {
		return fmt.Errorf("%w: not an Arrow IPC file: footer: %w", ErrCorrupt, err)
	}
	return checkSchemaTable(footer)
}

// checkFooterTables checks the footer's framing: a schema, no dictionary
// blocks, and a batch list that fits.
func checkFooterTables(footer []byte) error {
	root, err := fbRoot(footer)
	if err != nil {
		return err
	}
	if _, ok, err := root.table(footerSchema); err != nil {
		return fmt.Errorf("schema: %w", err)
	} else if !ok {
		return errors.New("no schema")
	}
	if _, n, err := root.vector(footerDictionaries, blockSize); err != nil {
		return fmt.Errorf("dictionary blocks: %w", err)
	} else if n != 0 {
		return fmt.Errorf("%d dictionary blocks; want none", n)
	}
	if _, _, err := root.vector(footerBatches, blockSize); err != nil {
		return fmt.Errorf("record batch blocks: %w", err)
	}
	return nil
}

// checkSchemaTable checks that the footer's schema is exactly rowIDSchema:
// one field named row_id, of type uint32, not nullable, neither
// dictionary-encoded nor nested, and no metadata on the field or schema.
func checkSchemaTable(footer []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
	root, _ := fbRoot(footer)
	schema, _, _ := root.table(footerSchema)
	start, n, err := schema.vector(schemaFields, 4)
	if err != nil {
		return bad("schema fields: %v", err)
	}
	if n != 1 {
		return bad("schema has %d fields; want 1 (%s: uint32 not null)", n, rowIDField)
	}
	field, err := schema.vectorTable(start, 0)
	if err != nil {
		return bad("schema field: %v", err)
	}
	name, _, err := field.str(fieldName)
	if err != nil {
		return bad("field name: %v", err)
	}
	if name != rowIDField {
		return bad("field is named %q; want %q", name, rowIDField)
	}
	typ, err := fieldTypeName(field)
	if err != nil {
		return bad("field %s type: %v", name, err)
	}
	if typ != "uint32" {
		return bad("field %s has type %s; want uint32", name, typ)
	}
	nullable, err := field.u8(fieldNullable, 0)
	switch {
	case err != nil:
		return bad("field %s nullability: %v", name, err)
	case nullable != 0:
		return bad("field %s is nullable; want not null", name)
	}
	_, dict, err := field.table(fieldDictionary)
	switch {
	case err != nil:
		return bad("field %s dictionary: %v", name, err)
	case dict:
		return bad("field %s is dictionary-encoded; want plain uint32", name)
	}
	_, children, err := field.vector(fieldChildren, 4)
	switch {
	case err != nil:
		return bad("field %s children: %v", name, err)
	case children != 0:
		return bad("field %s has %d children; want none", name, children)
	}
	_, fmd, err := field.vector(fieldMetadata, 4)
	switch {
	case err != nil:
		return bad("field %s metadata: %v", name, err)
	case fmd != 0:
		return bad("field %s has metadata (%d entries); want none", name, fmd)
	}
	_, smd, err := schema.vector(schemaMetadata, 4)
	switch {
	case err != nil:
		return bad("schema metadata: %v", err)
	case smd != 0:
		return bad("schema has metadata (%d entries); want none", smd)
	}
	return nil
}

// fieldTypeName names the type of a Field table: "int32", "uint32", ... for
// integers, the type's kind otherwise.
func fieldTypeName(field fbTable) (string, error) {
	tag, err := field.u8(fieldTypeType, 0)
	if err != nil {
		return "", err
	}
	if tag != typeInt {
		if int(tag) < len(typeNames) {
			return typeNames[tag], nil
		}
		return fmt.Sprintf("type tag %d", tag), nil
	}
	it, ok, err := field.table(fieldType)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("int type without parameters")
	}
	width, err := it.i32(intBitWidth, 0)
	if err != nil {
		return "", err
	}
	signed, err := it.u8(intIsSigned, 0)
	if err != nil {
		return "", err
	}
	if signed != 0 {
		return fmt.Sprintf("int%d", width), nil
	}
	return fmt.Sprintf("uint%d", width), nil
}
