package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// shape is how the values of an Arrow type are laid out, which is all the
// decoders need to know about it.
type shape int

const (
	shapeFixed    shape = iota // fixed width, byteWidth bytes a value
	shapeBool                  // one bit a value
	shapeVariable              // offsets plus bytes
	shapeFSL                   // fixed-size list of a fixed-width or bool child
	shapeList                  // list or large list of a flat type
)

// target describes the Arrow array a page decodes into.
type target struct {
	dt        arrow.DataType
	shape     shape
	byteWidth int  // bytes a value (shapeFixed), or a child item (shapeFSL, 0 for bool items)
	large     bool // 64-bit offsets (shapeVariable)
	dim       int  // items a row (shapeFSL)
	child     arrow.DataType
	elem      *target // the items of a shapeList
}

// rowBits is the number of value bits one row occupies once decoded.
func (t *target) rowBits() int {
	switch t.shape {
	case shapeBool:
		return 1
	case shapeFixed:
		return 8 * t.byteWidth
	case shapeFSL:
		if t.byteWidth == 0 {
			return t.dim
		}
		return 8 * t.byteWidth * t.dim
	}
	return 0
}

// itemBits is the width of one leaf item: the row for flat types, one
// child item for fixed-size lists.
func (t *target) itemBits() int {
	if t.shape == shapeFSL {
		if t.byteWidth == 0 {
			return 1
		}
		return 8 * t.byteWidth
	}
	return t.rowBits()
}

// maxFSLDim bounds fixed-size list dimensions so row sizes cannot overflow.
const maxFSLDim = 1 << 20

func newTarget(dt arrow.DataType) (*target, error) {
	if dt == nil {
		return nil, fmt.Errorf("%w: no data type", ErrUnsupported)
	}
	t := &target{dt: dt}
	switch dt.ID() {
	case arrow.BOOL:
		t.shape = shapeBool
	case arrow.STRING, arrow.BINARY:
		t.shape = shapeVariable
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		t.shape, t.large = shapeVariable, true
	case arrow.LIST, arrow.LARGE_LIST:
		lt := dt.(arrow.ListLikeType)
		elem, err := newTarget(lt.Elem())
		if err != nil {
			return nil, fmt.Errorf("list item: %w", err)
		}
		if elem.shape == shapeList {
			return nil, fmt.Errorf("%w: list of lists", ErrUnsupported)
		}
		t.shape, t.elem, t.large = shapeList, elem, dt.ID() == arrow.LARGE_LIST
	case arrow.FIXED_SIZE_LIST:
		fsl := dt.(*arrow.FixedSizeListType)
		child, err := newTarget(fsl.Elem())
		if err != nil {
			return nil, fmt.Errorf("fixed-size list item: %w", err)
		}
		if child.shape != shapeFixed && child.shape != shapeBool {
			return nil, fmt.Errorf("%w: fixed-size list of %s", ErrUnsupported, fsl.Elem())
		}
		n := int(fsl.Len())
		if n <= 0 || n > maxFSLDim {
			return nil, fmt.Errorf("%w: fixed-size list of %d items", ErrUnsupported, n)
		}
		t.shape, t.dim, t.byteWidth, t.child = shapeFSL, n, child.byteWidth, fsl.Elem()
	case arrow.INT8, arrow.UINT8, arrow.INT16, arrow.UINT16, arrow.INT32, arrow.UINT32,
		arrow.INT64, arrow.UINT64, arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION,
		arrow.DECIMAL128, arrow.DECIMAL256, arrow.FIXED_SIZE_BINARY,
		arrow.INTERVAL_MONTHS, arrow.INTERVAL_DAY_TIME, arrow.INTERVAL_MONTH_DAY_NANO:
		fw, ok := dt.(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || fw.BitWidth() <= 0 {
			return nil, fmt.Errorf("%w: type %s", ErrUnsupported, dt)
		}
		t.shape, t.byteWidth = shapeFixed, fw.BitWidth()/8
	default:
		return nil, fmt.Errorf("%w: type %s", ErrUnsupported, dt)
	}
	return t, nil
}
