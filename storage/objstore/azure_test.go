package objstore_test

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func TestMain(m *testing.M) { azuritetest.Main(m) }

// TestAzureConformance runs the conformance suite against Azurite, with the
// store rooted at a prefix inside its container and at the container root.
func TestAzureConformance(t *testing.T) {
	for _, prefix := range []string{"tables/prod", ""} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			objstoretest.Run(t, func(t *testing.T) objstore.Store {
				return azuritetest.Shared(t).NewStore(t, prefix, nil)
			})
		})
	}
}
