package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// rehearsalPorts is how many consecutive ports rehearse.sh uses.
const rehearsalPorts = 11

// TestRehearsal runs deploy/rehearse.sh: the topology comes up (Azurite,
// Kafka, three executors, a query node, an agent), a query goes through
// the executors, the agent compacts a table from the write events it gets
// over Kafka, and `rehearse.sh stop` leaves no process behind.
func TestRehearsal(t *testing.T) {
	azurite, err := azuritetest.Binary()
	if err != nil {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	state := t.TempDir()
	// Build the binary here, with its own generous timeout, so that a cold
	// build cache does not eat into the start-up budget below.
	bin := filepath.Join(t.TempDir(), "lancegate")
	bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer bcancel()
	build := exec.CommandContext(bctx, "go", "build", "-o", bin, "../cmd/lancegate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base := freePorts(t, rehearsalPorts)
	env := append(os.Environ(),
		"LANCEGATE_BIN="+bin,
		"LANCEGATE_AZURITE="+azurite,
		"LANCEGATE_REHEARSE_DIR="+state,
		"LANCEGATE_REHEARSE_PORT="+strconv.Itoa(base),
	)
	script, err := filepath.Abs("rehearse.sh")
	if err != nil {
		t.Fatal(err)
	}
	rehearse := func(ctx context.Context, arg string) (string, error) {
		cmd := exec.CommandContext(ctx, "bash", script, arg)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	stopped := false
	t.Cleanup(func() { // after a failure: stop what is left (before TempDir's cleanup removes state)
		if stopped {
			return
		}
		if out, err := rehearse(context.Background(), "stop"); err != nil {
			t.Errorf("rehearse.sh stop: %v\n%s", err, out)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	start := time.Now()
	out, err := rehearse(ctx, "start")
	if err != nil {
		t.Fatalf("rehearse.sh start: %v\n%s\n%s", err, out, logs(state))
	}
	t.Logf("topology ready in %s", time.Since(start).Round(time.Millisecond))
	m := regexp.MustCompile(`(?m)^psql "(postgres://[^"]+)"$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("rehearse.sh start printed no psql line:\n%s", out)
	}
	pids := readPIDs(t, state)
	for _, name := range []string{"azurite", "kafka", "executor-0", "executor-1", "executor-2", "query", "agent"} {
		if pids[name] == 0 {
			t.Fatalf("no PID of %s in %s: %v", name, state, pids)
		}
	}

	conn, err := pgx.Connect(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE readings (id bigint, g int)`); err != nil {
		t.Fatal(err)
	}
	// One fragment per INSERT: 20 pass the agent's default compaction
	// threshold of 16 small fragments.
	const rows = 20
	for i := 1; i <= rows; i++ {
		if _, err := conn.Exec(ctx, `INSERT INTO readings VALUES ($1, $2)`, i, i%3); err != nil {
			t.Fatal(err)
		}
	}

	// The aggregate runs on the executors: EXPLAIN ANALYZE names them.
	executors := map[string]bool{}
	for i := range 3 {
		executors[fmt.Sprintf("127.0.0.1:%d", base+5+i)] = true
	}
	plan := explain(ctx, t, conn, `EXPLAIN ANALYZE SELECT g, count(*) FROM readings GROUP BY g`)
	if !strings.Contains(plan, "Gather: partial aggregate on executors") {
		t.Fatalf("the aggregate did not go to the executors:\n%s", plan)
	}
	named := regexp.MustCompile(`Executor (\S+): pieces=(\d+) rows read=(\d+)`).FindAllStringSubmatch(plan, -1)
	if len(named) == 0 {
		t.Fatalf("EXPLAIN ANALYZE names no executor:\n%s", plan)
	}
	read := 0
	for _, e := range named {
		if !executors[e[1]] {
			t.Fatalf("EXPLAIN ANALYZE names %s, not one of the rehearsal's executors %v:\n%s", e[1], executors, plan)
		}
		n, _ := strconv.Atoi(e[3])
		read += n
	}
	if read != rows {
		t.Fatalf("executors read %d rows, want %d:\n%s", read, rows, plan)
	}
	checkRows(ctx, t, conn, rows)

	// The agent learns of the writes over Kafka (its sweep is ten
	// minutes away) and compacts the table.
	var typ, reason, stats string
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := conn.QueryRow(ctx, `SELECT type, reason, stats FROM lancegate.jobs
			WHERE table_name = 'readings' AND state = 'succeeded' ORDER BY created LIMIT 1`).Scan(&typ, &reason, &stats)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no succeeded job on readings after 60 s\n%s", logs(state))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if typ != "compact" || !strings.Contains(reason, "fragments") || !strings.Contains(stats, `"fragments_added":1`) {
		t.Fatalf("job: %s (%s) %s", typ, reason, stats)
	}
	t.Logf("agent job: %s (%s) %s", typ, reason, stats)
	// At least the 16 commits that made the agent compact went to Kafka.
	if got := metric(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", base+3), "lancegate_events_delivered_total"); got < 16 {
		t.Fatalf("the query node delivered %v write events to Kafka, want at least 16", got)
	}
	checkRows(ctx, t, conn, rows)
	conn.Close(ctx)

	stopped = true
	if out, err := rehearse(ctx, "stop"); err != nil {
		t.Fatalf("rehearse.sh stop: %v\n%s", err, out)
	}
	for name, pid := range pids {
		if running(pid) {
			t.Errorf("%s (pid %d) still runs after rehearse.sh stop", name, pid)
		}
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", base+2), time.Second); err == nil {
		c.Close()
		t.Errorf("the pgwire port still accepts connections after rehearse.sh stop")
	}
	if entries, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid")); len(entries) > 0 {
		t.Errorf("PID files left after stop: %v", entries)
	}
	t.Logf("whole rehearsal in %s", time.Since(start).Round(time.Millisecond))
}

// freePorts returns the first of n consecutive loopback ports that are
// free now.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(40000)
		var lns []net.Listener
		ok := true
		for p := base; p < base+n; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports", n)
	return 0
}

// readPIDs reads the PID files rehearse.sh wrote.
func readPIDs(t *testing.T, state string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
	}
	return pids
}

// running reports whether pid runs; a zombie (exited, not yet reaped by
// whoever inherited it from the script) has stopped.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func explain(ctx context.Context, t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	rs, err := conn.Query(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func checkRows(ctx context.Context, t *testing.T, conn *pgx.Conn, rows int64) {
	t.Helper()
	var n, sum int64
	if err := conn.QueryRow(ctx, `SELECT count(*), sum(id) FROM readings`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != rows || sum != rows*(rows+1)/2 {
		t.Fatalf("readings: %d rows, sum %d; want %d, %d", n, sum, rows, rows*(rows+1)/2)
	}
}

// metric returns the value of an unlabelled counter on a /metrics page.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(body) {
		f := strings.Fields(string(line))
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("%s has no %s:\n%s", url, name, body)
	return 0
}

// logs returns the tails of the rehearsal's logs, for failure messages.
func logs(state string) string {
	files, _ := filepath.Glob(filepath.Join(state, "logs", "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		lines = lines[max(0, len(lines)-15):]
		fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), strings.Join(lines, "\n"))
	}
	return b.String()
}
