package sqltests

import (
	"os"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// TestMain stops the Azurite that the Azure runs of the tests start, and
// removes the lancegate binary the multi-process tests build.
func TestMain(m *testing.M) {
	code := azuritetest.Run(m)
	removeBinary()
	os.Exit(code)
}
