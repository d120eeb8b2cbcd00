// Package deploy holds the deployment artefacts of lancegate; its tests
// render the Helm chart in helm/lancegate with Helm's own engine and check
// the objects it makes.
package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	chartDir  = "helm/lancegate"
	release   = "lg"
	namespace = "lancegate"
	wiLabel   = "azure.workload.identity/use"
	wiClient  = "azure.workload.identity/client-id"
)

// profiles are the values files every test renders the chart with; "" is
// the chart's defaults.
var profiles = []string{"", "profiles/managed.yaml", "profiles/byoc.yaml", "profiles/hybrid.yaml"}

// objects are the decoded objects of one rendering, by kind and name.
type objects struct {
	all          []metav1.Object
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	accounts     map[string]*corev1.ServiceAccount
	roles        map[string]*rbacv1.Role
	bindings     map[string]*rbacv1.RoleBinding
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs         map[string]*policyv1.PodDisruptionBudget
	policies     map[string]*networkingv1.NetworkPolicy
}

func newObjects() *objects {
	return &objects{
		deployments:  map[string]*appsv1.Deployment{},
		statefulSets: map[string]*appsv1.StatefulSet{},
		services:     map[string]*corev1.Service{},
		accounts:     map[string]*corev1.ServiceAccount{},
		roles:        map[string]*rbacv1.Role{},
		bindings:     map[string]*rbacv1.RoleBinding{},
		hpas:         map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:         map[string]*policyv1.PodDisruptionBudget{},
		policies:     map[string]*networkingv1.NetworkPolicy{},
	}
}

// loadChart loads the chart once per test.
func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// profileValues reads a profile's values ("" : none).
func profileValues(t *testing.T, profile string) map[string]any {
	t.Helper()
	if profile == "" {
		return map[string]any{}
	}
	v, err := chartutil.ReadValuesFile(filepath.Join(chartDir, profile))
	if err != nil {
		t.Fatalf("read %s: %v", profile, err)
	}
	return v.AsMap()
}

// render renders the chart as `helm install lg -n lancegate -f profile`
// would, with extra values set on top.
func render(ch *chart.Chart, vals map[string]any) (map[string]string, error) {
	opts := chartutil.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, rv)
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeStrict decodes one YAML document into the Kubernetes API type of its
// kind; a field the type does not have, a duplicate field or a kind the
// chart should not make is an error.
func decodeStrict(doc []byte, into *objects) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	gvk := tm.APIVersion + "/" + tm.Kind
	var obj metav1.Object
	switch gvk {
	case "apps/v1/Deployment":
		o := &appsv1.Deployment{}
		obj = o
		defer func() { into.deployments[o.Name] = o }()
	case "apps/v1/StatefulSet":
		o := &appsv1.StatefulSet{}
		obj = o
		defer func() { into.statefulSets[o.Name] = o }()
	case "v1/Service":
		o := &corev1.Service{}
		obj = o
		defer func() { into.services[o.Name] = o }()
	case "v1/ServiceAccount":
		o := &corev1.ServiceAccount{}
		obj = o
		defer func() { into.accounts[o.Name] = o }()
	case "rbac.authorization.k8s.io/v1/Role":
		o := &rbacv1.Role{}
		obj = o
		defer func() { into.roles[o.Name] = o }()
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		o := &rbacv1.RoleBinding{}
		obj = o
		defer func() { into.bindings[o.Name] = o }()
	case "autoscaling/v2/HorizontalPodAutoscaler":
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		obj = o
		defer func() { into.hpas[o.Name] = o }()
	case "policy/v1/PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		obj = o
		defer func() { into.pdbs[o.Name] = o }()
	case "networking.k8s.io/v1/NetworkPolicy":
		o := &networkingv1.NetworkPolicy{}
		obj = o
		defer func() { into.policies[o.Name] = o }()
	default:
		return fmt.Errorf("unexpected kind %q", gvk)
	}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", gvk, err)
	}
	// Case-sensitive, unlike encoding/json: clusterIp is no clusterIP.
	strict, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return fmt.Errorf("%s: %w", gvk, err)
	}
	if len(strict) > 0 {
		return fmt.Errorf("%s: %v", gvk, strict)
	}
	if obj.GetName() == "" {
		return fmt.Errorf("%s without a name", gvk)
	}
	into.all = append(into.all, obj)
	return nil
}

// decodeAll decodes every rendered manifest strictly.
func decodeAll(t *testing.T, files map[string]string) *objects {
	t.Helper()
	objs := newObjects()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for _, doc := range docSep.Split(files[name], -1) {
			var probe any
			if err := yaml.Unmarshal([]byte(doc), &probe); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			if probe == nil { // only comments or blank
				continue
			}
			if err := decodeStrict([]byte(doc), objs); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
		}
	}
	return objs
}

// renderProfile renders and decodes the chart with a profile.
func renderProfile(t *testing.T, ch *chart.Chart, profile string) *objects {
	t.Helper()
	files, err := render(ch, profileValues(t, profile))
	if err != nil {
		t.Fatalf("render %q: %v", profile, err)
	}
	return decodeAll(t, files)
}

// binaryFlags are the flag names cmd/lancegate defines, read from its source.
func binaryFlags(t *testing.T) map[string]bool {
	t.Helper()
	srcs, err := filepath.Glob("../cmd/lancegate/*.go")
	if err != nil || len(srcs) == 0 {
		t.Fatalf("cmd/lancegate sources: %v", err)
	}
	def := regexp.MustCompile(`fs\.[A-Za-z]+\([^,]+, "([a-z0-9-]+)"`)
	flags := map[string]bool{}
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range def.FindAllSubmatch(b, -1) {
			flags[string(m[1])] = true
		}
	}
	if !flags["storage"] || !flags["executors"] || !flags["job-launcher"] {
		t.Fatalf("flag definitions not found in cmd/lancegate: %v", flags)
	}
	return flags
}

// argValue returns the value of --name=value in args.
func argValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestChartLint(t *testing.T) {
	for _, p := range profiles {
		t.Run(name(p), func(t *testing.T) {
			l := lint.All(chartDir, profileValues(t, p), namespace, false)
			for _, m := range l.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint: %s", m)
				}
			}
		})
	}
}

func name(profile string) string {
	if profile == "" {
		return "defaults"
	}
	return strings.TrimSuffix(filepath.Base(profile), ".yaml")
}

func TestChartPodTemplates(t *testing.T) {
	ch := loadChart(t)
	flags := binaryFlags(t)
	for _, p := range profiles {
		t.Run(name(p), func(t *testing.T) {
			objs := renderProfile(t, ch, p)
			vals := profileValues(t, p)
			type podOwner struct {
				kind, name string
				tmpl       corev1.PodTemplateSpec
				selector   *metav1.LabelSelector
			}
			var owners []podOwner
			for n, d := range objs.deployments {
				owners = append(owners, podOwner{"Deployment", n, d.Spec.Template, d.Spec.Selector})
			}
			for n, s := range objs.statefulSets {
				owners = append(owners, podOwner{"StatefulSet", n, s.Spec.Template, s.Spec.Selector})
			}
			if len(owners) != 3 {
				t.Fatalf("want query, executor and agent workloads, got %d", len(owners))
			}
			for _, o := range owners {
				what := o.kind + " " + o.name
				pod := o.tmpl.Spec
				sel, err := metav1.LabelSelectorAsSelector(o.selector)
				if err != nil || !sel.Matches(labels.Set(o.tmpl.Labels)) {
					t.Errorf("%s: selector %v does not match its pod labels %v", what, o.selector, o.tmpl.Labels)
				}
				if o.tmpl.Labels[wiLabel] != "true" {
					t.Errorf("%s: pod label %s = %q, want \"true\"", what, wiLabel, o.tmpl.Labels[wiLabel])
				}
				sa, ok := objs.accounts[pod.ServiceAccountName]
				if !ok {
					t.Errorf("%s: service account %q is not rendered", what, pod.ServiceAccountName)
				} else if sa.Annotations[wiClient] == "" {
					t.Errorf("%s: service account %s lacks %s", what, sa.Name, wiClient)
				}
				if a := o.tmpl.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "9090" || a["prometheus.io/path"] != "/metrics" {
					t.Errorf("%s: prometheus annotations %v", what, a)
				}
				psc := pod.SecurityContext
				if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
					psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("%s: pod security context %+v", what, psc)
				}
				if len(pod.Containers) == 0 || len(pod.InitContainers) != 0 {
					t.Errorf("%s: %d containers, %d init containers", what, len(pod.Containers), len(pod.InitContainers))
				}
				volumes := map[string]corev1.Volume{}
				for _, v := range pod.Volumes {
					volumes[v.Name] = v
				}
				for _, c := range pod.Containers {
					cw := what + " container " + c.Name
					checkContainer(t, cw, c, volumes)
					for _, a := range c.Args[1:] {
						f, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
						if !strings.HasPrefix(a, "--") || !flags[f] {
							t.Errorf("%s: argument %q is no flag of cmd/lancegate", cw, a)
						}
					}
					if c.Args[0] != "serve" {
						t.Errorf("%s: args %v, want serve first", cw, c.Args)
					}
					if v, _ := argValue(c.Args, "storage"); v == "" {
						t.Errorf("%s: no --storage", cw)
					}
				}
			}
			checkQuery(t, objs, vals)
			checkExecutor(t, objs)
			checkAgent(t, objs)
			checkNetworkPolicies(t, objs)
		})
	}
}

// checkContainer asserts probes, security context, resources and mounts.
func checkContainer(t *testing.T, what string, c corev1.Container, volumes map[string]corev1.Volume) {
	t.Helper()
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	metricsPort, ok := ports["metrics"]
	if !ok {
		t.Errorf("%s: no metrics port", what)
	}
	if v, _ := argValue(c.Args, "metrics-listen"); v != fmt.Sprintf("0.0.0.0:%d", metricsPort) {
		t.Errorf("%s: --metrics-listen=%q, metrics port %d", what, v, metricsPort)
	}
	probe := func(kind string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", what, kind)
			return
		}
		if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "metrics" {
			t.Errorf("%s: %s probe %s on %s, want %s on metrics", what, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("%s: no security context", what)
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("%s: runAsNonRoot not set", what)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: root filesystem writable", what)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: privilege escalation allowed", what)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0:
		t.Errorf("%s: capabilities %+v, want drop ALL", what, sc.Capabilities)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: seccomp %+v", what, sc.SeccompProfile)
	case sc.Privileged != nil && *sc.Privileged:
		t.Errorf("%s: privileged", what)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		lim, okL := c.Resources.Limits[r]
		req, okR := c.Resources.Requests[r]
		if !okL || !okR || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %v limit %v", what, r, req.String(), lim.String())
		}
	}
	// The runtime's soft memory limit follows the container's limit.
	memEnv := false
	for _, e := range c.Env {
		if e.Name == "LANCEGATE_MEMORY_LIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" && e.ValueFrom.ResourceFieldRef.Divisor.String() == "1" {
			memEnv = true
		}
	}
	if !memEnv {
		t.Errorf("%s: no LANCEGATE_MEMORY_LIMIT from limits.memory in bytes", what)
	}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("%s: mount %s of no volume", what, m.Name)
		}
	}
}

// checkQuery asserts the query Service, HPA, PDB and the executor and TLS
// flags of query nodes.
func checkQuery(t *testing.T, objs *objects, vals map[string]any) {
	t.Helper()
	qn := release + "-lancegate-query"
	d, ok := objs.deployments[qn]
	if !ok {
		t.Fatalf("no Deployment %s", qn)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if v, _ := argValue(c.Args, "role"); v != "query" {
		t.Errorf("query role %q", v)
	}
	svc, ok := objs.services[qn]
	if !ok {
		t.Fatalf("no Service %s", qn)
	}
	a := svc.Annotations
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || a["service.beta.kubernetes.io/azure-load-balancer-internal"] != "true" {
		t.Errorf("query Service %s: type %s annotations %v, want an internal LoadBalancer", qn, svc.Spec.Type, a)
	}
	plsWanted := true
	if q, ok := vals["query"].(map[string]any); ok {
		if s, ok := q["service"].(map[string]any); ok {
			if p, ok := s["privateLink"].(map[string]any); ok {
				if e, ok := p["enabled"].(bool); ok {
					plsWanted = e
				}
			}
		}
	}
	if plsWanted {
		if a["service.beta.kubernetes.io/azure-pls-create"] != "true" || a["service.beta.kubernetes.io/azure-pls-name"] == "" ||
			a["service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address-count"] == "" || a["service.beta.kubernetes.io/azure-pls-proxy-protocol"] != "false" {
			t.Errorf("query Service: Private Link annotations missing: %v", a)
		}
	} else if _, ok := a["service.beta.kubernetes.io/azure-pls-create"]; ok {
		t.Errorf("query Service: Private Link off but annotated: %v", a)
	}
	pg := c.Ports[0]
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "pgwire" || pg.Name != "pgwire" {
		t.Errorf("query Service ports %+v, container ports %+v", svc.Spec.Ports, c.Ports)
	}
	if v, _ := argValue(c.Args, "listen"); v != fmt.Sprintf("0.0.0.0:%d", pg.ContainerPort) {
		t.Errorf("query --listen=%s, pgwire port %d", v, pg.ContainerPort)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("query Service selector %v misses the pods", svc.Spec.Selector)
	}
	if hpa, ok := objs.hpas[qn]; ok {
		if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != qn || d.Spec.Replicas != nil {
			t.Errorf("HPA target %+v, Deployment replicas %v", hpa.Spec.ScaleTargetRef, d.Spec.Replicas)
		}
	} else if d.Spec.Replicas == nil {
		t.Errorf("no HPA and no replicas for %s", qn)
	}
	pdb, ok := objs.pdbs[qn]
	if !ok {
		t.Errorf("no PodDisruptionBudget %s", qn)
	} else if s, _ := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); !s.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("query PDB selector misses the pods")
	}
	// TLS: the flags point into the mounted Secret.
	if cert, ok := argValue(c.Args, "tls-cert"); ok {
		key, _ := argValue(c.Args, "tls-key")
		mounted := false
		for _, m := range c.VolumeMounts {
			if m.Name == "tls" && m.ReadOnly && strings.HasPrefix(cert, m.MountPath+"/") && strings.HasPrefix(key, m.MountPath+"/") {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("--tls-cert=%s --tls-key=%s not in a read-only tls mount %+v", cert, key, c.VolumeMounts)
		}
	}
}

// checkExecutor asserts the StatefulSet's headless Service, its cache volume
// and the query nodes' --executors.
func checkExecutor(t *testing.T, objs *objects) {
	t.Helper()
	sts, ok := objs.statefulSets[release+"-lancegate-executor"]
	if !ok {
		t.Fatalf("no executor StatefulSet")
	}
	svc, ok := objs.services[sts.Spec.ServiceName]
	if !ok {
		t.Fatalf("StatefulSet service %q is not rendered", sts.Spec.ServiceName)
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("executor Service %s clusterIP %q, want headless", svc.Name, svc.Spec.ClusterIP)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(sts.Spec.Template.Labels)) {
		t.Errorf("executor Service selector %v misses the pods", svc.Spec.Selector)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	listen, _ := argValue(c.Args, "executor-listen")
	port := svc.Spec.Ports[0].Port
	if listen != fmt.Sprintf("0.0.0.0:%d", port) {
		t.Errorf("--executor-listen=%s, headless port %d", listen, port)
	}
	q := objs.deployments[release+"-lancegate-query"].Spec.Template.Spec.Containers[0]
	want := fmt.Sprintf("dns:%s.%s.svc.cluster.local:%d", svc.Name, namespace, port)
	if v, _ := argValue(q.Args, "executors"); v != want {
		t.Errorf("query --executors=%s, want %s", v, want)
	}
	dir, _ := argValue(c.Args, "cache-dir")
	var cacheVol string
	for _, m := range c.VolumeMounts {
		if m.MountPath == dir {
			cacheVol = m.Name
		}
	}
	found := false
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == cacheVol {
			found = true
			if v.EmptyDir == nil && v.Ephemeral == nil {
				t.Errorf("cache volume %s is neither emptyDir nor ephemeral: %+v", v.Name, v.VolumeSource)
			}
		}
	}
	if dir == "" || !found {
		t.Errorf("--cache-dir=%q is not on a volume", dir)
	}
	hasPodName := false
	for _, e := range c.Env {
		hasPodName = hasPodName || (e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name")
	}
	if adv, _ := argValue(c.Args, "executor-advertise"); !hasPodName || !strings.HasPrefix(adv, "$(POD_NAME)."+svc.Name+".") {
		t.Errorf("--executor-advertise=%s (POD_NAME env %v)", adv, hasPodName)
	}
}

// checkAgent asserts the agent's launcher flags and its RBAC.
func checkAgent(t *testing.T, objs *objects) {
	t.Helper()
	d, ok := objs.deployments[release+"-lancegate-agent"]
	if !ok {
		t.Fatalf("no agent Deployment")
	}
	c := d.Spec.Template.Spec.Containers[0]
	if v, _ := argValue(c.Args, "job-launcher"); v != "kubernetes" {
		t.Errorf("--job-launcher=%s", v)
	}
	if v, _ := argValue(c.Args, "job-image"); v != c.Image {
		t.Errorf("--job-image=%s, agent image %s", v, c.Image)
	}
	jobSA, _ := argValue(c.Args, "job-service-account")
	if sa, ok := objs.accounts[jobSA]; !ok || sa.Annotations[wiClient] == "" {
		t.Errorf("--job-service-account=%s is no workload-identity service account", jobSA)
	}
	if v, _ := argValue(c.Args, "job-workload-identity"); v != "true" {
		t.Errorf("--job-workload-identity=%s", v)
	}
	agentSA := d.Spec.Template.Spec.ServiceAccountName
	// What the Role bound to the agent's account allows.
	allowed := map[string]bool{}
	for _, b := range objs.bindings {
		bound := false
		for _, s := range b.Subjects {
			bound = bound || (s.Kind == "ServiceAccount" && s.Name == agentSA && s.Namespace == namespace)
		}
		if !bound || b.RoleRef.Kind != "Role" {
			continue
		}
		role, ok := objs.roles[b.RoleRef.Name]
		if !ok {
			t.Errorf("RoleBinding %s refers to no rendered Role %s", b.Name, b.RoleRef.Name)
			continue
		}
		for _, r := range role.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						allowed[g+"/"+res+"/"+v] = true
					}
				}
			}
		}
	}
	for _, need := range []string{"batch/jobs/create", "batch/jobs/get", "batch/jobs/list", "batch/jobs/watch", "batch/jobs/delete", "/pods/get", "/pods/list", "/pods/log/get"} {
		if !allowed[need] {
			t.Errorf("agent service account %s may not %s", agentSA, need)
		}
	}
	if d.Spec.Template.Spec.AutomountServiceAccountToken == nil || !*d.Spec.Template.Spec.AutomountServiceAccountToken {
		t.Errorf("agent pods get no API token")
	}
	for _, n := range []string{release + "-lancegate-query", release + "-lancegate-executor"} {
		var spec corev1.PodSpec
		if dd, ok := objs.deployments[n]; ok {
			spec = dd.Spec.Template.Spec
		} else {
			spec = objs.statefulSets[n].Spec.Template.Spec
		}
		if spec.ServiceAccountName == agentSA {
			t.Errorf("%s runs as the agent's service account", n)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s pods get a Kubernetes API token", n)
		}
	}
}

// checkNetworkPolicies asserts the ingress rules: executors only from query
// pods, metrics only from the monitoring namespace.
func checkNetworkPolicies(t *testing.T, objs *objects) {
	t.Helper()
	queryLabels := labels.Set(objs.deployments[release+"-lancegate-query"].Spec.Template.Labels)
	for _, n := range []string{"query", "executor", "agent"} {
		np, ok := objs.policies[release+"-lancegate-"+n]
		if !ok {
			t.Errorf("no NetworkPolicy for %s", n)
			continue
		}
		for _, r := range np.Spec.Ingress {
			if len(r.Ports) != 1 || len(r.From) == 0 {
				t.Errorf("%s NetworkPolicy rule %+v: want one port and sources", n, r)
				continue
			}
			switch port := r.Ports[0].Port.String(); port {
			case "metrics":
				if len(r.From) != 1 || r.From[0].NamespaceSelector == nil || r.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "" {
					t.Errorf("%s NetworkPolicy: metrics from %+v", n, r.From)
				}
			case "flight":
				if n != "executor" || len(r.From) != 1 || r.From[0].PodSelector == nil || r.From[0].NamespaceSelector != nil {
					t.Errorf("%s NetworkPolicy: flight from %+v", n, r.From)
					continue
				}
				if s, _ := metav1.LabelSelectorAsSelector(r.From[0].PodSelector); !s.Matches(queryLabels) {
					t.Errorf("executor NetworkPolicy: flight not from query pods")
				}
			case "pgwire":
				for _, f := range r.From {
					if f.PodSelector != nil || (f.IPBlock == nil && f.NamespaceSelector == nil) {
						t.Errorf("query NetworkPolicy: pgwire from %+v", f)
					}
				}
			default:
				t.Errorf("%s NetworkPolicy: port %s", n, port)
			}
		}
	}
}

// TestChartStrictDecoding checks that decoding rejects what the API types do
// not know, so the other tests would notice a misspelt field.
func TestChartStrictDecoding(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  clusterIp: None\n",
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  headless: true\n",
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  name: y\n",
	} {
		if err := decodeStrict([]byte(doc), newObjects()); err == nil {
			t.Errorf("decoded:\n%s", doc)
		}
	}
	if err := decodeStrict([]byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  clusterIP: None\n"), newObjects()); err != nil {
		t.Errorf("a headless Service: %v", err)
	}
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
	if err := decodeStrict([]byte(doc), newObjects()); err == nil {
		t.Fatal("an unexpected kind decoded")
	}
}

// TestChartValueErrors checks that the chart refuses inconsistent values
// instead of rendering pods that cannot start.
func TestChartValueErrors(t *testing.T) {
	ch := loadChart(t)
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"events type", map[string]any{"events": map[string]any{"type": "rabbitmq"}}, "want kafka, eventhubs or none"},
		{"kafka brokers", map[string]any{"events": map[string]any{"type": "kafka"}}, "events.kafka.brokers is required"},
		{"scram secret", map[string]any{"auth": map[string]any{"method": "scram"}}, "auth.passwordSecret is required"},
		{"tls secret", map[string]any{"tls": map[string]any{"enabled": true}}, "tls.secretName is required"},
		{"cache type", map[string]any{"executor": map[string]any{"cache": map[string]any{"type": "hostPath"}}}, "want emptyDir or ephemeral"},
		{"no limits", map[string]any{"agent": map[string]any{"resources": map[string]any{"limits": nil}}}, "resources.requests and resources.limits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(ch, tc.vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("render: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Event Hubs with a connection string: the Secret reaches query and agent
	// pods as environment and job pods through --job-env-secret.
	files, err := render(ch, map[string]any{"events": map[string]any{"type": "eventhubs", "eventhubs": map[string]any{"connectionStringSecret": "eh"}}})
	if err != nil {
		t.Fatal(err)
	}
	objs := decodeAll(t, files)
	for _, n := range []string{"query", "agent"} {
		c := objs.deployments[release+"-lancegate-"+n].Spec.Template.Spec.Containers[0]
		found := false
		for _, e := range c.Env {
			found = found || (e.Name == "LANCEGATE_EVENTHUBS_CONNECTION_STRING" && e.ValueFrom.SecretKeyRef.Name == "eh")
		}
		if !found {
			t.Errorf("%s: no connection string from Secret eh in %+v", n, c.Env)
		}
		if _, ok := argValue(c.Args, "eventhubs-namespace"); ok {
			t.Errorf("%s: --eventhubs-namespace with a connection string", n)
		}
	}
	if v, _ := argValue(objs.deployments[release+"-lancegate-agent"].Spec.Template.Spec.Containers[0].Args, "job-env-secret"); v != "eh" {
		t.Errorf("--job-env-secret=%s", v)
	}
}

// TestChartValuesDocumented checks that every value of values.yaml has a
// comment right above it; the Kubernetes objects copied into pods as they
// are (security contexts, probes, resources) are documented by their key.
func TestChartValuesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]bool{"podSecurityContext": true, "containerSecurityContext": true, "liveness": true, "readiness": true, "resources": true}
	key := regexp.MustCompile(`^( *)([A-Za-z][A-Za-z0-9_.-]*):(.*)$`)
	type open struct {
		indent int
		raw    bool
	}
	var stack []open
	prevComment := false
	keys := 0
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			prevComment = true
			continue
		}
		m := key.FindStringSubmatch(line)
		if m == nil {
			prevComment = false
			continue
		}
		indent := len(m[1])
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		inRaw := len(stack) > 0 && stack[len(stack)-1].raw
		rest := strings.TrimSpace(m[3])
		block := rest == "" // a nested map follows
		if !block && !inRaw {
			keys++
			if !prevComment {
				t.Errorf("values.yaml:%d: %s has no comment", i+1, m[2])
			}
		}
		if block {
			stack = append(stack, open{indent, inRaw || raw[m[2]]})
		}
		prevComment = false
	}
	if keys < 50 {
		t.Fatalf("only %d values found in values.yaml", keys)
	}
}

// TestChartMinimal renders query nodes alone: no executors, no agent, a
// ClusterIP Service, and checks that nothing refers to what is not there.
func TestChartMinimal(t *testing.T) {
	ch := loadChart(t)
	files, err := render(ch, map[string]any{
		"executor": map[string]any{"enabled": false},
		"agent":    map[string]any{"enabled": false},
		"query":    map[string]any{"service": map[string]any{"type": "ClusterIP"}, "autoscaling": map[string]any{"enabled": false}},
	})
	if err != nil {
		t.Fatal(err)
	}
	objs := decodeAll(t, files)
	if len(objs.statefulSets) != 0 || len(objs.roles) != 0 || len(objs.bindings) != 0 || len(objs.hpas) != 0 {
		t.Errorf("executors, agent RBAC or HPA rendered: %d %d %d %d", len(objs.statefulSets), len(objs.roles), len(objs.bindings), len(objs.hpas))
	}
	if len(objs.deployments) != 1 || len(objs.accounts) != 1 || len(objs.services) != 1 || len(objs.policies) != 1 {
		t.Fatalf("want the query Deployment, Service, NetworkPolicy and service account alone, got %d %d %d %d",
			len(objs.deployments), len(objs.services), len(objs.policies), len(objs.accounts))
	}
	d := objs.deployments[release+"-lancegate-query"]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v without the HPA", d.Spec.Replicas)
	}
	if _, ok := argValue(d.Spec.Template.Spec.Containers[0].Args, "executors"); ok {
		t.Errorf("--executors without executors")
	}
	svc := objs.services[release+"-lancegate-query"]
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Annotations) != 0 || svc.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("ClusterIP Service %+v annotations %v", svc.Spec, svc.Annotations)
	}
}
