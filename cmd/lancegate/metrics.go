package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/objstore"
)

// metrics is the process's Prometheus registry.
type metrics struct {
	reg *prometheus.Registry

	mu    sync.Mutex
	gates []func() error // readiness conditions besides storage; see readyWhen
}

// readyWhen adds a condition to /readyz: while check returns an error,
// /readyz answers 503 with it (an executor still prewarming its cache).
func (m *metrics) readyWhen(check func() error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gates = append(m.gates, check)
}

// notReady returns the first failing readiness condition.
func (m *metrics) notReady() error {
	m.mu.Lock()
	gates := m.gates
	m.mu.Unlock()
	for _, check := range gates {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &metrics{reg: reg}
}

// events exports a publisher's counters. lancegate_events_dropped_total
// counts events lost to a full buffer: the agent's sweep makes up for
// them.
func (m *metrics) events(stats func() events.PublisherStats) {
	counter := func(name, help string, v func(events.PublisherStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "lancegate", Subsystem: "events", Name: name, Help: help},
			func() float64 { return float64(v(stats())) })
	}
	m.reg.MustRegister(
		counter("published_total", "Write events handed to the publisher.", func(s events.PublisherStats) uint64 { return s.Published }),
		counter("delivered_total", "Write events the broker (or the in-process bus) took.", func(s events.PublisherStats) uint64 { return s.Delivered }),
		counter("dropped_total", "Write events dropped undelivered (buffer full, shutdown).", func(s events.PublisherStats) uint64 { return s.Dropped }),
		counter("retried_total", "Delivery attempts that failed and were retried.", func(s events.PublisherStats) uint64 { return s.Retried }),
		counter("failed_total", "Write events given up on (too large, not encodable).", func(s events.PublisherStats) uint64 { return s.Failed }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lancegate", Subsystem: "events", Name: "buffered", Help: "Write events waiting for delivery."},
			func() float64 { return float64(stats().Buffered) }),
	)
}

// serve answers /metrics, /healthz (the process is up) and /readyz (the
// storage root answers a listing, and every readyWhen condition holds) on ln until ctx ends, and Go's
// /debug/pprof/ profiles when pprof is set.
func (m *metrics) serve(ctx context.Context, ln net.Listener, store objstore.Store, withPprof bool) error {
	mux := http.NewServeMux()
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := m.notReady(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		rctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		for _, err := range store.List(rctx, "_lancegate/") {
			if err != nil {
				http.Error(w, "storage: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			break
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
