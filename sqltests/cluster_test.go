package sqltests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// Multi-process clusters: the lancegate binary, built once per test run,
// started as one query node and N plan executors on 127.0.0.1, with
// storage on Azurite (or a local folder). Processes report their
// addresses in their logs ("listen=127.0.0.1:port"); the harness reads
// them from stderr, so every port is chosen by the kernel.

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// lancegateBinary builds cmd/lancegate (with the race detector when the
// tests run with it).
func lancegateBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "lancegate-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "lancegate")
		out, err := exec.Command("go", "build", "-o", binary.path, "../cmd/lancegate").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build ../cmd/lancegate: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func removeBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

// proc is one lancegate process.
type proc struct {
	t    testing.TB
	args []string
	cmd  *exec.Cmd
	addr string // the address it serves (pgwire or Flight)
	done chan struct{}
	mu   sync.Mutex
	log  []string
}

var listenRe = regexp.MustCompile(`msg="(?:executor ready|lancegate serving)".* listen=(\S+)`)

// startProc starts lancegate with args and waits until it logs that it
// serves (an executor: that it is ready).
func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(lancegateBinary(p.t), p.args...)
	cmd.Env = append(os.Environ(), "LANCEGATE_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log = append(p.log, line)
			p.mu.Unlock()
			if m := listenRe.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	select {
	case p.addr = <-ready:
	case <-p.done:
		p.t.Fatalf("lancegate %v exited before serving:\n%s", p.args, p.logs())
	case <-time.After(60 * time.Second):
		p.t.Fatalf("lancegate %v did not serve within a minute:\n%s", p.args, p.logs())
	}
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// kill stops the process with SIGKILL (a crash, not a shutdown).
func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// restart starts the process again on the address it had.
func (p *proc) restart() {
	p.t.Helper()
	args := append([]string(nil), p.args...)
	for i := range args {
		if args[i] == "--executor-listen" {
			args[i+1] = p.addr
		}
	}
	p.args = args
	p.start()
}

// cluster is a query node and its executors.
type cluster struct {
	query     *proc
	executors []*proc
}

// storageArgs returns the --storage flags of a fresh storage root: a new
// container in the shared Azurite, or a temporary folder.
func storageArgs(t testing.TB, azure bool) []string {
	t.Helper()
	if !azure {
		return []string{"--storage", t.TempDir()}
	}
	az := azuritetest.Shared(t)
	name := azuritetest.NewContainerName()
	if err := az.CreateContainer(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return []string{
		"--storage", "az://" + name + "/db",
		"--storage-option", "account_name=" + objstore.EmulatorAccount,
		"--storage-option", "account_key=" + objstore.EmulatorKey,
		"--storage-option", "endpoint=" + az.Endpoint(),
		"--storage-option", "allow_http=true",
	}
}

// startCluster starts n executors and a query node using them over the
// storage of storage (from storageArgs); extra flags go to the query node.
func startCluster(t testing.TB, storage []string, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{}
	var addrs []string
	for i := 0; i < n; i++ {
		args := append([]string{"serve", "--role", "executor", "--executor-listen", "127.0.0.1:0", "--cache-ram", "64MiB", "--cache-dir", t.TempDir()}, storage...)
		e := startProc(t, args...)
		c.executors = append(c.executors, e)
		addrs = append(addrs, e.addr)
	}
	args := append([]string{"serve", "--role", "query", "--listen", "127.0.0.1:0", "--executors", strings.Join(addrs, ","), "--executor-timeout", "10s"}, storage...)
	c.query = startProc(t, append(args, extra...)...)
	return c
}

// dsn is the query node's connection string.
func (c *cluster) dsn() string {
	host, port, _ := net.SplitHostPort(c.query.addr)
	return fmt.Sprintf("postgres://lancegate@%s:%s/lancegate?sslmode=disable", host, port)
}

func (c *cluster) connect(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.dsn())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
