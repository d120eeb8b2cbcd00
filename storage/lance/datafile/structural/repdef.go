package structural

import (
	"fmt"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Repetition and definition levels.
//
// A 2.1+ page describes the structure above its values with a list of
// layers, innermost (the item) first. Each layer has a meaning
// (RepDefLayer) that says whether it is a list and which nulls or empty
// lists it can have. Every item (and every null or empty list, which has no
// item) gets a repetition level and a definition level:
//
//   - the definition level is 0 when the item and everything above it is
//     valid; otherwise the layers' null and empty states are numbered from
//     1 upward, innermost first (a nullable layer takes one level, a list
//     that can be both null and empty takes two);
//   - the repetition level is nonzero where a list starts: the number of
//     list layers the item starts (so the maximum starts a new row).
//
// A flat column has a single item layer and no repetition; its definition
// levels are exactly the inverse of the validity bitmap. Nested layouts
// (lists, struct children) are reported as unsupported by this package.

// flatNullable checks that layers describe a flat column and reports
// whether it can have nulls.
func flatNullable(layers []enc21.RepDefLayer) (bool, error) {
	switch len(layers) {
	case 0:
		return false, nil
	case 1:
		switch layers[0] {
		case enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM:
			return false, nil
		case enc21.RepDefLayer_REPDEF_NULLABLE_ITEM:
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: nested page with layers %v (only flat columns are decoded)", ErrUnsupported, layers)
}
