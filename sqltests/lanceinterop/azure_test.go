package lanceinterop

// Lance interoperability on Azure Blob Storage, against a real Azurite:
// pylance reads a dataset lancegate wrote to Azurite and lancegate reads one
// pylance wrote, each side opening az://<container>/<prefix>/<name>.lance
// with its own Azure client and the same storage options.
//
// Which storage options make pylance 14.0.2 (Rust object_store underneath)
// reach an Azurite on a random port, found by experiment:
//
//   - Works: account_name=devstoreaccount1, account_key=<emulator key>,
//     azure_storage_endpoint=http://127.0.0.1:<port>/devstoreaccount1,
//     allow_http=true. The endpoint must carry the account as its path (it
//     is the account's blob service URL; without /devstoreaccount1 Azurite
//     answers 404), and allow_http=true is required: without it
//     object_store refuses the http:// URL ("HTTP error: builder error").
//     The long names (azure_storage_account_name, azure_storage_account_key,
//     azure_allow_http) and "endpoint" work too, as do the same settings as
//     AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY,
//     AZURE_STORAGE_ENDPOINT and AZURE_ALLOW_HTTP environment variables.
//   - Works: account_name=devstoreaccount1, use_emulator=true (account_key
//     optional: object_store then signs with the emulator key), with the
//     environment variable AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:<port>
//     (no account path; object_store appends it). http is implied.
//   - Does not work: use_emulator=true without account_name (Lance needs
//     the account before object_store applies the emulator default: "no
//     Azure account name in URI"); azurite_blob_storage_url as a storage
//     option (silently ignored, requests go to 127.0.0.1:10000; only the
//     environment variable counts); use_emulator=true together with
//     azure_storage_endpoint (use_emulator wins and the endpoint is ignored,
//     again 127.0.0.1:10000); connection_string (object_store has no such
//     option; Lance ignores it and falls back to managed identity).
//
// The working names are the ones objstore.ParseAzure accepts, so the same
// dict works for lancegate's --storage-option flags (allow_http is accepted
// and ignored there: lancegate allows http whenever the endpoint says
// http://), and lancegate reads AZURITE_BLOB_STORAGE_URL and AZURE_* from
// its environment as object_store does (objstore.AzureEnvOptions). The tests
// below check that: lancegate opens the stores through objstore.Open with
// exactly the options and environment pylance gets.
//
// Differences seen on the way (lancegate is more lenient than pylance; none
// breaks a configuration that works in pylance): ParseAzure honours the
// azurite_blob_storage_url option, an azure_storage_endpoint alongside
// use_emulator, and connection_string, all of which pylance ignores.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// TestMain stops the Azurite the Azure tests start.
func TestMain(m *testing.M) { azuritetest.Main(m) }

// azureAccess is one way of pointing pylance (and lancegate) at Azurite:
// storage options plus environment variables.
type azureAccess struct {
	name    string
	options map[string]string
	env     []string
}

// azureAccesses returns the configurations that work in pylance (see the
// comment at the top of this file).
func azureAccesses(srv *azuritetest.Server) []azureAccess {
	return []azureAccess{
		{
			name: "endpoint",
			options: map[string]string{
				"account_name":           objstore.EmulatorAccount,
				"account_key":            objstore.EmulatorKey,
				"azure_storage_endpoint": srv.Endpoint(),
				"allow_http":             "true",
			},
		},
		{
			name: "emulator",
			options: map[string]string{
				"account_name": objstore.EmulatorAccount,
				"account_key":  objstore.EmulatorKey,
				"use_emulator": "true",
			},
			env: []string{fmt.Sprintf("AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:%d", srv.Port())},
		},
	}
}

// pylanceAzure runs a pylance_azure.py command with acc's storage options
// and environment (and no other AZURE_* or AZURITE_* variable), and decodes
// its JSON answer.
func pylanceAzure(t testing.TB, acc azureAccess, args ...string) map[string]any {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	tool := filepath.Join(filepath.Dir(file), "pylance_azure.py")
	opts, err := json.Marshal(acc.options)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python(t), append([]string{tool, "--storage-options", string(opts)}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AZURE_") && !strings.HasPrefix(kv, "AZURITE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, acc.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pylance_azure %s %v: %v\n%s", acc.name, args, err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("pylance_azure %s %v printed %q: %v", acc.name, args, stdout.String(), err)
	}
	return res
}

// openAzure opens uri with lancegate the way `lancegate serve --storage uri
// --storage-option k=v ...` does: options from acc's environment
// (AzureEnvOptions), overridden by acc's storage options.
func openAzure(t *testing.T, uri string, acc azureAccess) objstore.Store {
	t.Helper()
	options := objstore.AzureEnvOptions(acc.env)
	for k, v := range acc.options {
		options[k] = v
	}
	st, err := objstore.Open(context.Background(), uri, options)
	if err != nil {
		t.Fatalf("%s: lancegate opens %s: %v", acc.name, uri, err)
	}
	return st
}

// newContainer creates a fresh container in srv.
func newContainer(t *testing.T, srv *azuritetest.Server) string {
	t.Helper()
	name := azuritetest.NewContainerName()
	if err := srv.CreateContainer(context.Background(), name); err != nil {
		t.Fatalf("azurite: create container: %v", err)
	}
	return name
}

// checkHistory compares the history pylance reports (the "history" of a
// pylance_azure.py dump) with lancegate's ListVersions.
func checkHistory(t *testing.T, what string, res map[string]any, vs []lance.VersionInfo) {
	t.Helper()
	hist := res["history"].([]any)
	if len(hist) != len(vs) {
		t.Errorf("%s: pylance lists %d versions, lancegate %d", what, len(hist), len(vs))
		return
	}
	for i, h := range hist {
		h := h.(map[string]any)
		v := vs[i]
		if uint64(h["version"].(float64)) != v.Version || uint64(h["count_rows"].(float64)) != v.Rows {
			t.Errorf("%s: pylance version %v has %v rows; lancegate lists version %d with %d rows", what, h["version"], h["count_rows"], v.Version, v.Rows)
		}
		if d := int64(h["timestamp_us"].(float64)) - v.Timestamp.UnixMicro(); d < -1 || d > 1 {
			t.Errorf("%s: version %d committed at %vµs in pylance, %v in lancegate", what, v.Version, h["timestamp_us"], v.Timestamp)
		}
	}
}

// TestAzureGoWritesPylanceReads writes a dataset to Azurite with lancegate
// (int64, strings with nulls, 128-d vectors and the other column types of
// allTypesBatch; three fragments over two commits; a deletion; three
// versions) and checks that pylance, with each working set of storage
// options, reads exactly the same rows, schema, row count, fragments and
// history, time-travels to the older versions, and that LanceDB opens the
// table through a connection to the same folder. lancegate itself opens the
// URI with the same options.
func TestAzureGoWritesPylanceReads(t *testing.T) {
	python(t)
	srv := azuritetest.Shared(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	container := newContainer(t, srv)
	const prefix = "lake/db"
	cfg := srv.Config(container)
	cfg.Prefix = prefix
	store, err := objstore.NewAzure(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}

	const dim = 128
	b1 := allTypesBatch(mem, 0, 3000, dim)
	defer b1.Release()
	b2 := allTypesBatch(mem, 3000, 1000, dim)
	defer b2.Release()
	rr1, rr2 := recordReader(t, b1), recordReader(t, b2)
	defer rr1.Release()
	defer rr2.Release()
	ds, err := lance.Create(ctx, store, "t.lance", b1.Schema(), rr1, lance.WriteOptions{MaxRowsPerFile: 1500})
	if err != nil {
		t.Fatal(err)
	}
	if ds, err = ds.Append(ctx, rr2, lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := len(ds.Fragments()); got != 3 {
		t.Fatalf("%d fragments after create and append; want 3", got)
	}
	deleted := func(id int64) bool { return id%97 == 0 || id%1000 < 40 }
	ds = deleteIDs(t, ds, deleted, "id % 97 = 0 OR id % 1000 < 40")
	if ds.Version() != 3 {
		t.Fatalf("version %d after create, append, delete; want 3", ds.Version())
	}
	all := concat(t, mem, b1.Schema(), []arrow.Record{retain(b1), retain(b2)})
	defer all.Release()
	want := filterIDs(t, mem, all, func(id int64) bool { return !deleted(id) })
	defer want.Release()
	vs, err := lance.ListVersions(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}

	root := fmt.Sprintf("az://%s/%s", container, prefix)
	uri := root + "/t.lance"
	out := filepath.Join(t.TempDir(), "dump.arrow")
	for _, acc := range azureAccesses(srv) {
		t.Run(acc.name, func(t *testing.T) {
			res := pylanceAzure(t, acc, "dump", uri, out)
			t.Logf("pylance %v reads data storage version %v", res["lance_version"], res["data_storage_version"])
			got := readIPC(t, mem, out)
			sameRecords(t, "pylance to_table", got, want)
			got.Release()
			if res["count_rows"].(float64) != float64(want.NumRows()) || res["version"].(float64) != 3 {
				t.Errorf("pylance count_rows %v version %v; want %d, 3", res["count_rows"], res["version"], want.NumRows())
			}
			if got := fmt.Sprint(res["fragment_ids"]); got != "[0 1 2]" {
				t.Errorf("pylance fragment ids %s; want [0 1 2]", got)
			}
			var names []string
			for _, f := range res["fields"].([]any) {
				names = append(names, f.([]any)[0].(string))
			}
			var wantNames []string
			for _, f := range want.Schema().Fields() {
				wantNames = append(wantNames, f.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(wantNames) {
				t.Errorf("pylance schema columns %v; want %v", names, wantNames)
			}
			if s := res["schema"].(string); !strings.Contains(s, fmt.Sprintf("vec: fixed_size_list<item: float>[%d]", dim)) {
				t.Errorf("pylance schema has no %d-d float vector column:\n%s", dim, s)
			}
			checkHistory(t, "pylance history", res, vs)

			for v, wantRows := range map[int]arrow.Record{1: b1, 2: all} {
				res := pylanceAzure(t, acc, "dump", uri, out, "--version", fmt.Sprint(v))
				got := readIPC(t, mem, out)
				sameRecords(t, fmt.Sprintf("pylance version %d", v), got, wantRows)
				got.Release()
				if res["version"].(float64) != float64(v) {
					t.Errorf("pylance opened version %v; want %d", res["version"], v)
				}
			}

			res = pylanceAzure(t, acc, "lancedb", root, "t", out)
			got = readIPC(t, mem, out)
			sameRecords(t, "lancedb open_table", got, want)
			got.Release()
			if res["count_rows"].(float64) != float64(want.NumRows()) || res["version"].(float64) != 3 {
				t.Errorf("lancedb count_rows %v version %v; want %d, 3", res["count_rows"], res["version"], want.NumRows())
			}
			if got := fmt.Sprint(res["tables"]); got != "[t]" {
				t.Errorf("lancedb lists tables %s; want [t]", got)
			}

			// lancegate, given the same URI and options, finds the same
			// dataset.
			ds, err := lance.Open(ctx, openAzure(t, root, acc), "t.lance")
			if err != nil {
				t.Fatal(err)
			}
			if ds.Version() != 3 || ds.CountRows() != uint64(want.NumRows()) {
				t.Errorf("lancegate via options opens version %d with %d rows; want 3, %d", ds.Version(), ds.CountRows(), want.NumRows())
			}
		})
	}
}

// TestAzurePylanceWritesGoReads has pylance create a dataset on Azurite
// with its default settings (data storage version 2.2 in pylance 14, two
// fragments), append and delete; lancegate, opening the same URI with the
// same storage options, reads every version with exactly the rows pylance
// reads; then lancegate appends and pylance reads all rows back.
func TestAzurePylanceWritesGoReads(t *testing.T) {
	python(t)
	srv := azuritetest.Shared(t)
	for _, acc := range azureAccesses(srv) {
		t.Run(acc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			container := newContainer(t, srv)
			root := fmt.Sprintf("az://%s/py", container)
			uri := root + "/p.lance"
			tmp := t.TempDir()
			const dim = 128
			b1 := allTypesBatch(mem, 0, 3000, dim)
			defer b1.Release()
			b2 := allTypesBatch(mem, 3000, 1000, dim)
			defer b2.Release()
			b3 := allTypesBatch(mem, 4000, 500, dim)
			defer b3.Release()
			in1, in2 := filepath.Join(tmp, "b1.arrow"), filepath.Join(tmp, "b2.arrow")
			writeIPC(t, in1, b1)
			writeIPC(t, in2, b2)

			res := pylanceAzure(t, acc, "write", uri, in1, "--max-rows-per-file", "2000")
			if res["data_storage_version"] != "2.2" {
				t.Errorf("pylance wrote data storage version %v; want 2.2 (pylance 14's default)", res["data_storage_version"])
			}
			pylanceAzure(t, acc, "write", uri, in2, "--mode", "append")
			deleted := func(id int64) bool { return id%89 == 0 || id >= 100 && id <= 400 }
			res = pylanceAzure(t, acc, "delete", uri, "id % 89 = 0 OR id BETWEEN 100 AND 400")
			if res["version"].(float64) != 3 {
				t.Fatalf("pylance at version %v after create, append, delete; want 3", res["version"])
			}

			store := openAzure(t, root, acc)
			vs, err := lance.ListVersions(ctx, store, "p.lance")
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 3 {
				t.Fatalf("lancegate lists %d versions; want 3", len(vs))
			}
			all := concat(t, mem, b1.Schema(), []arrow.Record{retain(b1), retain(b2)})
			defer all.Release()
			expect := map[int]arrow.Record{1: b1, 2: all}
			expect[3] = filterIDs(t, mem, all, func(id int64) bool { return !deleted(id) })
			defer expect[3].Release()
			out := filepath.Join(tmp, "dump.arrow")
			for v := 1; v <= 3; v++ {
				res := pylanceAzure(t, acc, "dump", uri, out, "--version", fmt.Sprint(v))
				if v == 3 {
					checkHistory(t, "history", res, vs)
					if got := len(res["fragment_ids"].([]any)); got != 3 {
						t.Errorf("pylance wrote %d fragments; want 3", got)
					}
				}
				pyRows := readIPC(t, mem, out)
				sameRecords(t, fmt.Sprintf("pylance version %d", v), pyRows, expect[v])
				ds, err := lance.OpenVersion(ctx, store, "p.lance", uint64(v))
				if err != nil {
					pyRows.Release()
					t.Fatal(err)
				}
				got := scanAll(t, mem, ds)
				sameRecords(t, fmt.Sprintf("lancegate version %d", v), got, pyRows)
				if ds.CountRows() != uint64(pyRows.NumRows()) {
					t.Errorf("version %d: lancegate CountRows %d; pylance %d rows", v, ds.CountRows(), pyRows.NumRows())
				}
				got.Release()
				pyRows.Release()
			}

			ds, err := lance.Open(ctx, store, "p.lance")
			if err != nil {
				t.Fatal(err)
			}
			rr := recordReader(t, b3)
			defer rr.Release()
			if ds, err = ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if ds.Version() != 4 {
				t.Fatalf("lancegate appended version %d; want 4", ds.Version())
			}
			want := concat(t, mem, b1.Schema(), []arrow.Record{retain(expect[3]), retain(b3)})
			defer want.Release()
			res = pylanceAzure(t, acc, "dump", uri, out)
			got := readIPC(t, mem, out)
			sameRecords(t, "pylance after lancegate's append", got, want)
			got.Release()
			if res["version"].(float64) != 4 || res["count_rows"].(float64) != float64(want.NumRows()) {
				t.Errorf("pylance version %v count_rows %v; want 4, %d", res["version"], res["count_rows"], want.NumRows())
			}
			if vs, err = lance.ListVersions(ctx, store, "p.lance"); err != nil {
				t.Fatal(err)
			}
			checkHistory(t, "history after lancegate's append", res, vs)
			var ops []string
			for _, v := range vs {
				ops = append(ops, v.Operation)
			}
			if got := fmt.Sprint(ops); got != "[Overwrite Append Delete Append]" {
				t.Errorf("operations %s; want [Overwrite Append Delete Append]", got)
			}
		})
	}
}
