package agent

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

func TestMain(m *testing.M) { azuritetest.Main(m) }
