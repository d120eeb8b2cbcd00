package sqltests

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/sqltests/slt"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected results of the logic tests from the server's answers")

// TestLogic runs every logic/*.slt file on a local folder and on Azure Blob
// Storage (Azurite), over the simple and the extended query protocol, each
// run against a fresh server and storage root.
func TestLogic(t *testing.T) {
	files, err := filepath.Glob("logic/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logic test files: %v", err)
	}
	for _, path := range files {
		path := path
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			f, err := slt.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			modes := []slt.Mode{slt.Simple, slt.Extended}
			if *rewrite {
				modes = modes[:1]
			}
			backends := objstoretest.Named("local", "azure")
			if *rewrite {
				backends = backends[:1]
			}
			for _, b := range backends {
				t.Run(b.Name, func(t *testing.T) {
					for _, mode := range modes {
						t.Run(mode.String(), func(t *testing.T) {
							srv := startServerOn(t, b.NewStore(t))
							conn := srv.connect(t)
							slt.Run(context.Background(), t, conn, mode, f, *rewrite)
						})
					}
				})
			}
			if *rewrite {
				out, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				if err := f.Write(out); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
