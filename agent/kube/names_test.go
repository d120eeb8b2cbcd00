package kube_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/agent/kube"
)

func TestJobName(t *testing.T) {
	long := strings.Repeat("very_long_table_name_", 10)
	tests := []struct {
		name       string
		instance   string
		spec       agent.JobSpec
		wantPrefix string
	}{
		{name: "plain", spec: spec("orders", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-orders-"},
		{name: "other id", spec: spec("orders", agent.JobCompact, "id-2"), wantPrefix: "lancegate-compact-orders-"},
		{name: "other type", spec: spec("orders", agent.JobCleanup, "id-1"), wantPrefix: "lancegate-cleanup-orders-"},
		{name: "other instance", instance: "staging", spec: spec("orders", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-orders-"},
		{name: "upper case", spec: spec("Orders", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-orders-"},
		{name: "underscore", spec: spec("order_items", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-order-items-"},
		{name: "dash", spec: spec("order-items", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-order-items-"},
		{name: "schema qualified", spec: spec("public.Order Items", agent.JobIndex, "id-1"), wantPrefix: "lancegate-index-public-order-items-"},
		{name: "edges and runs", spec: spec("__--Orders!!2024--__", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-orders-2024-"},
		{name: "long", spec: spec(long, agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-very-long-table-name-very-long-tab-"},
		{name: "long, other end", spec: spec(long+"x", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-very-long-table-name-very-long-tab-"},
		{name: "long, cut at a dash", spec: spec("abcdefghijklmnopqrstuvwxyz_01234567_89", agent.JobIndex, "id-1"), wantPrefix: "lancegate-index-abcdefghijklmnopqrstuvwxyz-01234567-"},
		{name: "unicode only", spec: spec("表格", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-"},
		{name: "other unicode only", spec: spec("數據", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-"},
		{name: "mixed unicode", spec: spec("Überstunden", agent.JobCompact, "id-1"), wantPrefix: "lancegate-compact-berstunden-"},
		{name: "odd type", spec: spec("orders", agent.JobType("Re-Index/All Partitions"), "id-1"), wantPrefix: "lancegate-re-index-all-orders-"},
		{name: "long id", spec: spec("orders", agent.JobCompact, strings.Repeat("X", 300)), wantPrefix: "lancegate-compact-orders-"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Instance = tt.instance
			l, _ := newLauncher(t, cfg)
			got := l.JobName(tt.spec)
			for _, m := range validation.IsDNS1123Label(got) {
				t.Errorf("JobName(%q) = %q: %s", tt.spec.Table, got, m)
			}
			if len(got) > 63 {
				t.Errorf("JobName(%q) = %q: %d characters; want at most 63", tt.spec.Table, got, len(got))
			}
			if !strings.HasPrefix(got, tt.wantPrefix) || len(got) != len(tt.wantPrefix)+10 {
				t.Errorf("JobName(%q) = %q; want %q and 10 hex digits", tt.spec.Table, got, tt.wantPrefix)
			}
			again, _ := newLauncher(t, cfg)
			if g2 := again.JobName(tt.spec); g2 != got {
				t.Errorf("JobName(%q) = %q, then %q; want the same", tt.spec.Table, got, g2)
			}
			if prev, ok := seen[got]; ok {
				t.Errorf("JobName(%q) = %q, as for case %q; want distinct names", tt.spec.Table, got, prev)
			}
			seen[got] = tt.name
		})
	}
}

// TestLabelValues: the label forms of any table and id are valid label
// values.
func TestLabelValues(t *testing.T) {
	tests := []struct {
		table, id string
	}{
		{"orders", "20260301T110000.000000Z-0a1b2c3d"},
		{"Sales.Orders 2024", "id"},
		{"表格", "表"},
		{"_x_", ".id."},
		{strings.Repeat("ab.", 40), strings.Repeat("Z", 100)},
		{strings.Repeat("a", 62) + "-b", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			l, client := newLauncher(t, baseConfig())
			s := spec(tt.table, agent.JobCompact, tt.id)
			if err := l.Launch(t.Context(), s); err != nil {
				t.Fatalf("Launch: %v", err)
			}
			j := getJob(t, l, client, s)
			for _, k := range []string{kube.LabelTable, kube.LabelJobID, kube.LabelJobType} {
				for _, m := range validation.IsValidLabelValue(j.Labels[k]) {
					t.Errorf("label %s = %q: %s", k, j.Labels[k], m)
				}
			}
			same(t, "table annotation", j.Annotations[kube.AnnotationTable], tt.table)
			same(t, "job-id annotation", j.Annotations[kube.AnnotationJobID], tt.id)
		})
	}
}
