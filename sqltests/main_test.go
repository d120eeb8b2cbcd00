package sqltests

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// TestMain stops the Azurite that the Azure runs of the tests start.
func TestMain(m *testing.M) { azuritetest.Main(m) }
