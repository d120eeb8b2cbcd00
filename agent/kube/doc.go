// Package kube launches the agent's maintenance jobs as Kubernetes Jobs.
// It is the agent.Launcher of distributed deployments: the agent decides
// that a table needs compaction, cleanup or an index build, takes the
// table's lease in storage and calls Launch; Launch creates a batch/v1 Job
// whose one pod runs `lancegate job` and returns as soon as the API server
// has accepted it. The pod does the work, writes the job's history record
// and releases the lease. The embedded default, agent.InProcess, runs the
// same agent.Runner in goroutines instead.
//
// Jobs run in pods of their own, rather than in the agent, so that a
// compaction's memory, CPU and node placement are sized for the job and
// never starve or kill the agent, and so that a job outlives the agent
// replica that launched it.
//
// # What Launch creates
//
// One Job per job spec, in Config.Namespace, named by JobName:
// "lancegate-<type>-<table>-<hash>", a DNS-1123 label of at most 63
// characters. The table is cut down to lower-case letters, digits and
// dashes; the hash (SHA-256 of instance, type, table and job id) keeps
// names of different jobs apart however their tables are spelled.
//
//	metadata.labels (on the Job and its pod template)
//	  app.kubernetes.io/name=lancegate
//	  app.kubernetes.io/component=job
//	  app.kubernetes.io/managed-by=lancegate-agent
//	  app.kubernetes.io/instance=<Config.Instance>   (when set)
//	  lancegate.io/table=<table, label-safe>  lancegate.io/job-type=<type>
//	  lancegate.io/job-id=<id, label-safe>   + Config.Labels
//	  azure.workload.identity/use=true        (pod only, with WorkloadIdentity)
//	metadata.annotations: lancegate.io/{table,job-id,reason,version,created}
//	  with the exact values                  + Config.Annotations
//	spec: backoffLimit (3), activeDeadlineSeconds (2h), ttlSecondsAfterFinished (1h)
//	pod:  restartPolicy Never, serviceAccountName, no API token mounted,
//	      nodeSelector, tolerations; runAsNonRoot as 65532:65532, seccomp
//	      RuntimeDefault; an emptyDir at /tmp
//	container "job": Config.Image, resources (500m/1Gi requested, 2/4Gi
//	      limits by default), read-only root file system, no privilege
//	      escalation, all capabilities dropped, env and envFrom, command
//	      lancegate job --type T --table NAME --job-id ID --version N --reason R <Config.Args...>
//
// Labels are for selecting and are shortened to what label values allow;
// the annotations hold the exact table name and job id, and the
// active-job check compares the table annotation, so two tables whose
// label forms coincide do not block each other. With Config.Instance set,
// a Launcher only sees Jobs of its own instance, so two releases can share
// a namespace.
//
// # Idempotence and the active-job guard
//
// The same spec always yields the same name, so launching it twice (an
// agent retrying after a timeout, two replicas racing) creates one Job:
// the second Launch finds it, or gets AlreadyExists from the API server,
// and returns nil. Before creating, Launch lists the Jobs with the spec's
// table and type labels; if one that has not finished belongs to another
// job id, it returns an error wrapping ErrJobActive. This is a cheap second
// guard only: the list and the create are not atomic, and jobs launched
// otherwise (by hand, by another cluster) are not in the list. The guard
// that holds is the lease in storage (see package agent).
//
// # How `lancegate job` exits, and retries
//
// The pod's command exits 0 when the job succeeded, when there was nothing
// to do, and when another job holds the table's lease (that one does the
// work): the Job completes. It exits non-zero when the job failed: the pod
// fails and the Job controller starts a new pod after a growing back-off
// (10s, 20s, 40s, … up to 6 min), up to BackoffLimit retries, after which
// the Job's Failed condition is set. ActiveDeadline bounds the whole run,
// retries included. A retry is safe: the job is idempotent (it plans from
// the table's newest version and commits one Lance transaction, so a crash
// before the commit leaves only unreferenced files for cleanup), and its
// lease is held in the job id's name, so the retry renews the lease its
// predecessor took instead of waiting for it to expire. The job writes its
// history record (running, then succeeded or failed) itself; the states
// Active reports are only the cluster's view.
//
// # Finished Jobs
//
// The TTL controller deletes a finished Job, and with it its pods and
// their logs, TTLAfterFinished after it finished. Where that controller is
// off, or TTLAfterFinished is negative, the agent calls Cleanup, which
// deletes finished lancegate Jobs older than its argument with background
// propagation.
//
// # RBAC
//
// The agent's service account needs, in the Jobs' namespace, jobs to
// launch, list and delete them, and pods to find and read job logs:
//
//	apiVersion: rbac.authorization.k8s.io/v1
//	kind: Role
//	metadata:
//	  name: lancegate-agent-jobs
//	  namespace: lancegate
//	rules:
//	  - apiGroups: ["batch"]
//	    resources: ["jobs"]
//	    verbs: ["create", "get", "list", "watch", "delete"]
//	  - apiGroups: [""]
//	    resources: ["pods"]
//	    verbs: ["get", "list"]
//	  - apiGroups: [""]
//	    resources: ["pods/log"]
//	    verbs: ["get"]
//	---
//	apiVersion: rbac.authorization.k8s.io/v1
//	kind: RoleBinding
//	metadata:
//	  name: lancegate-agent-jobs
//	  namespace: lancegate
//	roleRef:
//	  apiGroup: rbac.authorization.k8s.io
//	  kind: Role
//	  name: lancegate-agent-jobs
//	subjects:
//	  - kind: ServiceAccount
//	    name: lancegate-agent
//	    namespace: lancegate
//
// The job pods need no Kubernetes permissions at all: they get no API
// token (automountServiceAccountToken is false), only their Azure one.
//
// # Workload identity
//
// On AKS the job pods reach Blob Storage (and Event Hubs) as an Azure
// managed identity, without secrets:
//
//  1. The cluster runs with the OIDC issuer and workload identity enabled.
//  2. The managed identity has a federated credential for the subject
//     system:serviceaccount:<namespace>:<Config.ServiceAccount>, audience
//     api://AzureADTokenExchange, and a role on the storage account such as
//     Storage Blob Data Contributor.
//  3. Config.ServiceAccount names a service account annotated with
//     azure.workload.identity/client-id: <the identity's client id>.
//  4. Config.WorkloadIdentity is true, so the pods carry the label
//     azure.workload.identity/use: "true". The webhook then projects the
//     federated token and sets AZURE_CLIENT_ID, AZURE_TENANT_ID and
//     AZURE_FEDERATED_TOKEN_FILE, which the storage client picks up.
//
// The agent itself may use the same service account, or its own.
package kube
