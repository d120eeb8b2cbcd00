package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/lancegate/lancegate/agent"
)

// Labels every Job the Launcher creates carries; Active, Cleanup and the
// active-job check select on them.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelTable     = "lancegate.io/table"
	LabelJobType   = "lancegate.io/job-type"
	LabelJobID     = "lancegate.io/job-id"

	// LabelWorkloadIdentity is the pod label the AKS workload-identity
	// webhook acts on.
	LabelWorkloadIdentity = "azure.workload.identity/use"
)

// Annotations carry what labels cannot hold exactly: label values are
// limited to 63 characters of [A-Za-z0-9._-], table names are not.
const (
	AnnotationTable   = "lancegate.io/table"
	AnnotationJobID   = "lancegate.io/job-id"
	AnnotationReason  = "lancegate.io/reason"
	AnnotationVersion = "lancegate.io/version"
	AnnotationCreated = "lancegate.io/created"
)

// The fixed label values.
const (
	appName   = "lancegate"
	component = "job"
	managedBy = "lancegate-agent"
)

// maxName is the longest Job name: the Job controller copies it into the
// batch.kubernetes.io/job-name label of its pods, and label values stop at
// 63 characters.
const maxName = 63

// hashLen is how many hex digits of SHA-256 end a Job name: 40 bits, so
// names collide only by accident among about a million jobs kept at once.
const hashLen = 10

// reservedLabel reports whether the Launcher sets label k itself.
func reservedLabel(k string) bool {
	switch k {
	case LabelName, LabelComponent, LabelManagedBy, LabelInstance, LabelWorkloadIdentity:
		return true
	}
	return strings.HasPrefix(k, "lancegate.io/")
}

// reservedAnnotation reports whether the Launcher sets annotation k itself.
func reservedAnnotation(k string) bool {
	return strings.HasPrefix(k, "lancegate.io/")
}

// JobName returns the name of the Kubernetes Job that runs spec:
// "lancegate-<type>-<table>-<hash>", where type and table are cut down to
// lower-case letters, digits and dashes (the table shortened to fit 63
// characters, or left out when nothing of it survives) and hash is 10 hex
// digits of SHA-256 over the instance, type, table and job id. The name is
// a DNS-1123 label, the same for the same spec (so a relaunch finds its
// Job), and differs when the job id, the table or the type does, however
// alike their shortened forms look.
func (l *Launcher) JobName(spec agent.JobSpec) string {
	h := sha256.New()
	for _, s := range []string{l.cfg.Instance, string(spec.Type), spec.Table, spec.ID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))[:hashLen]

	typ := dnsLabel(string(spec.Type), 12)
	if typ == "" {
		typ = "job"
	}
	head := appName + "-" + typ + "-"
	table := dnsLabel(spec.Table, maxName-len(head)-1-hashLen)
	if table == "" {
		return head + sum
	}
	return head + table + "-" + sum
}

// dnsLabel reduces s to at most max characters of [a-z0-9-] that neither
// start nor end with a dash and hold no run of dashes: upper case is
// lowered, every other character becomes a dash. It may return "".
func dnsLabel(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	return out
}

// labelValue reduces s to a valid label value: at most 63 characters of
// [A-Za-z0-9._-], starting and ending with a letter or digit. Characters
// outside the set become '_'. It may return "", which is valid too.
func labelValue(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			out = append(out, byte(r))
		default:
			out = append(out, '_')
		}
	}
	v := strings.Trim(string(out), "._-")
	if len(v) > maxName {
		v = strings.TrimRight(v[:maxName], "._-")
	}
	return v
}
