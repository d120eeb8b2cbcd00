package sqltests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/objstore"
)

// The agent over a real Kafka-protocol broker (franz-go's kfake on
// 127.0.0.1): replicas sharing a consumer group, the broker going away
// during writes, and an agent dying mid-job.

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// kafkaFor returns the configuration of the test topic on addrs: four
// partitions, created on start, quick group heartbeats.
func kafkaFor(addrs []string) events.KafkaConfig {
	return events.KafkaConfig{
		Brokers: addrs, Topic: "lancegate-events", Partitions: 4, CreateTopic: true,
		DeliveryTimeout: time.Second, SessionTimeout: 6 * time.Second, HeartbeatInterval: 100 * time.Millisecond,
		Logger: quietLog,
	}
}

func startKafka(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func kafkaPublisher(t *testing.T, cfg events.KafkaConfig) *events.KafkaPublisher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := events.NewKafkaPublisher(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// runningAgent is an agent replica started by a test.
type runningAgent struct {
	cancel context.CancelFunc
	src    *recordingSource
	done   chan error
}

// stop stops the agent (as a pod being terminated: it leaves the group
// without committing the batch it was working on).
func (r *runningAgent) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("agent: %v", err)
	}
	r.src.Close()
}

// compactAt4 compacts at four small fragments, as often as asked.
func compactAt4() agent.Policy {
	p := agent.DefaultPolicy()
	p.Compaction.MinFragments = 4
	p.Compaction.MinInterval = 0
	return p
}

// startAgent starts an agent replica that acts on events only (its
// sweeps are an hour away), so what it does is what its events make it do.
func startAgent(t *testing.T, store objstore.Store, cfg events.KafkaConfig, name string, leaseTTL time.Duration) *runningAgent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ks, err := events.NewKafkaSource(ctx, cfg, "agents")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	src := &recordingSource{Source: ks}
	cat := catalog.New(store, nil)
	runner := agent.NewRunner(cat, agent.RunnerConfig{Policy: compactAt4(), Logger: quietLog, Name: name, LeaseTTL: leaseTTL})
	a := agent.New(cat, src, agent.NewInProcess(runner, quietLog), agent.Config{
		Policy: compactAt4(), SweepInterval: time.Hour, FirstSweepDelay: time.Hour, RecheckInterval: 50 * time.Millisecond, PendingTTL: leaseTTL, Logger: quietLog,
	})
	r := &runningAgent{cancel: cancel, src: src, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		ks.Close()
	})
	return r
}

// recordingSource remembers the events a real source delivered.
type recordingSource struct {
	events.Source
	mu   sync.Mutex
	seen []events.Event
}

func (s *recordingSource) Fetch(ctx context.Context) ([]events.Delivery, error) {
	ds, err := s.Source.Fetch(ctx)
	s.mu.Lock()
	for _, d := range ds {
		s.seen = append(s.seen, d.Event)
	}
	s.mu.Unlock()
	return ds, err
}

func (s *recordingSource) delivered(table string) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vs []uint64
	for _, e := range s.seen {
		if e.Table == table {
			vs = append(vs, e.Version)
		}
	}
	return vs
}

func insertRows(t *testing.T, conn *pgx.Conn, table string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := conn.Exec(context.Background(), fmt.Sprintf(`INSERT INTO %s VALUES ($1)`, table), i); err != nil {
			t.Fatal(err)
		}
	}
}

// waitCompacted waits until table has fewer fragments than the policy's
// threshold and checks that it holds ids 0..rows-1.
func waitCompacted(t *testing.T, conn *pgx.Conn, cat *catalog.Catalog, table string, rows int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := cat.Open(context.Background(), table)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Fragments()) < 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s still has %d fragments after 30 s", table, len(ds.Fragments()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n, sum int64
	if err := conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*), coalesce(sum(id), 0) FROM %s`, table)).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != int64(rows) || sum != int64(rows*(rows-1)/2) {
		t.Fatalf("table %s: %d rows, sum %d; want %d rows", table, n, sum, rows)
	}
}

// TestAgentsShareKafkaGroup: two agent replicas in one consumer group
// share the tables while one joins and the other leaves, and every table
// ends up compacted with all its rows.
func TestAgentsShareKafkaGroup(t *testing.T) {
	kc := startKafka(t)
	cfg := kafkaFor(kc.ListenAddrs())
	store := objstore.NewMemory()
	srv := startServerWith(t, store, gateway.Options{Events: kafkaPublisher(t, cfg), StorageURI: "memory://"})
	conn := srv.connect(t)
	cat := catalog.New(store, nil)
	tables := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	for _, tb := range tables {
		execAll(t, conn, `CREATE TABLE `+tb+` (id bigint)`)
	}
	a := startAgent(t, store, cfg, "agent-a", time.Minute)
	for _, tb := range tables {
		insertRows(t, conn, tb, 0, 6)
	}
	b := startAgent(t, store, cfg, "agent-b", time.Minute) // the group rebalances
	for _, tb := range tables {
		insertRows(t, conn, tb, 6, 6)
	}
	a.stop(t) // and again: b takes every partition
	for _, tb := range tables {
		insertRows(t, conn, tb, 12, 6)
	}
	for _, tb := range tables {
		waitCompacted(t, conn, cat, tb, 18)
	}
	b.stop(t)
	recs, err := jobs.NewHistory(store).List(context.Background(), jobs.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runners := map[string]int{}
	for _, r := range recs {
		// A job agent-a was running when it stopped ends cancelled; any
		// other failure is a bug.
		if r.State == jobs.Failed && !(r.Runner == "agent-a" && strings.Contains(r.Error, "context canceled")) {
			t.Errorf("job %s of %s on %s failed: %s", r.ID, r.Runner, r.Table, r.Error)
		}
		runners[r.Runner]++
	}
	if runners["agent-b"] == 0 {
		t.Errorf("agent-b, alone in the group at the end, ran no job: %v", runners)
	}
	t.Logf("jobs per agent: %v", runners)
}

// TestAgentCatchesUpAfterBrokerDown: with the broker gone, INSERTs still
// commit (their events wait in the publisher's buffer); when it is back,
// the events are delivered and the agent compacts.
func TestAgentCatchesUpAfterBrokerDown(t *testing.T) {
	dir := t.TempDir()
	kc := startKafka(t, kfake.DataDir(dir))
	addr := kc.ListenAddrs()[0]
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	cfg := kafkaFor([]string{addr})
	store := objstore.NewMemory()
	pub := kafkaPublisher(t, cfg)
	srv := startServerWith(t, store, gateway.Options{Events: pub, StorageURI: "memory://"})
	conn := srv.connect(t)
	execAll(t, conn, `CREATE TABLE t (id bigint)`)
	ag := startAgent(t, store, cfg, "agent", time.Minute)
	defer ag.stop(t)
	insertRows(t, conn, "t", 0, 2)

	kc.Close()
	start := time.Now()
	insertRows(t, conn, "t", 2, 10)
	took := time.Since(start)
	if st := pub.Stats(); st.Buffered == 0 {
		t.Fatalf("publisher stats with the broker down: %+v; want events buffered", st)
	}
	t.Logf("10 INSERTs with the broker down took %s", took.Round(time.Millisecond))
	cat := catalog.New(store, nil)
	if ds, _ := cat.Open(context.Background(), "t"); len(ds.Fragments()) != 12 {
		t.Fatalf("%d fragments with the broker down, want 12", len(ds.Fragments()))
	}

	kc2, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc2.Close)
	waitCompacted(t, conn, cat, "t", 12)
	if st := pub.Stats(); st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("publisher stats: %+v; want nothing dropped or failed", st)
	}
}

// dyingStore is the storage as an agent process sees it: working until
// the test arms it, then blocking the first manifest write of a table (the
// job's commit) until the process is killed, after which every call fails.
type dyingStore struct {
	objstore.Store
	prefix  string
	armed   atomic.Bool
	dead    atomic.Bool
	entered chan struct{}
	once    sync.Once
}

var errKilled = errors.New("the process was killed")

func (s *dyingStore) check() error {
	if s.dead.Load() {
		return errKilled
	}
	return nil
}

func (s *dyingStore) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.armed.Load() && strings.HasPrefix(key, s.prefix) {
		s.once.Do(func() { close(s.entered) })
		<-ctx.Done()
		return errKilled
	}
	return s.Store.PutIfAbsent(ctx, key, data)
}

func (s *dyingStore) Put(ctx context.Context, key string, r io.Reader) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, r)
}

func (s *dyingStore) Delete(ctx context.Context, key string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

func (s *dyingStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.GetRange(ctx, key, off, n)
}

func (s *dyingStore) List(ctx context.Context, prefix string) iter.Seq2[objstore.ObjectInfo, error] {
	if err := s.check(); err != nil {
		return func(yield func(objstore.ObjectInfo, error) bool) { yield(objstore.ObjectInfo{}, err) }
	}
	return s.Store.List(ctx, prefix)
}

// TestAgentKilledMidJob: an agent dies while its compaction is committing.
// It had not committed the events' offsets, so they are delivered again to
// the replica that takes over; the dead job's lease expires, the new
// replica compacts, the table never stopped being valid, and the next
// sweep records the dead job as failed.
func TestAgentKilledMidJob(t *testing.T) {
	kc := startKafka(t)
	cfg := kafkaFor(kc.ListenAddrs())
	store := objstore.NewMemory()
	srv := startServerWith(t, store, gateway.Options{Events: kafkaPublisher(t, cfg), StorageURI: "memory://"})
	conn := srv.connect(t)
	execAll(t, conn, `CREATE TABLE t (id bigint)`)

	dying := &dyingStore{Store: store, prefix: "t.lance/_versions/", entered: make(chan struct{})}
	dying.armed.Store(true)
	a := startAgent(t, dying, cfg, "agent-a", time.Second)
	insertRows(t, conn, "t", 0, 8)
	select {
	case <-dying.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("agent-a never started committing a compaction")
	}
	dying.dead.Store(true)
	a.stop(t)
	published := a.src.delivered("t")

	cat := catalog.New(store, nil)
	ds, err := cat.Open(context.Background(), "t")
	if err != nil || len(ds.Fragments()) != 8 {
		t.Fatalf("after the killed job: %v fragments, %v; want the 8 uncompacted ones", ds, err)
	}
	b := startAgent(t, store, cfg, "agent-b", time.Second)
	waitCompacted(t, conn, cat, "t", 8)
	b.stop(t)
	// agent-a was working on the batch it fetched last when it died, so
	// that batch was never committed: its events come to agent-b again.
	again := b.src.delivered("t")
	if len(published) == 0 || !slices.Contains(again, published[len(published)-1]) {
		t.Fatalf("agent-a had events of versions %v; agent-b got %v: the uncommitted batch was not redelivered", published, again)
	}

	// agent-a's job record still says running; a sweep finds it dead.
	hist := jobs.NewHistory(store)
	recs, _ := hist.List(context.Background(), jobs.ListOptions{Table: "t"})
	var dead string
	for _, r := range recs {
		if r.Runner == "agent-a" {
			dead = r.ID
		}
	}
	if dead == "" {
		t.Fatalf("no record of agent-a's job: %+v", recs)
	}
	sweeper := agent.New(cat, nil, agent.NewInProcess(agent.NewRunner(cat, agent.RunnerConfig{Logger: quietLog}), quietLog), agent.Config{Logger: quietLog})
	if err := sweeper.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, _ := hist.Get(context.Background(), dead); r.State != jobs.Failed {
		t.Fatalf("agent-a's dead job is %s, want failed", r.State)
	}
}
