{{/* Chart name. */}}
{{- define "lancegate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the prefix of every object name. */}}
{{- define "lancegate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "lancegate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "lancegate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component: (dict "ctx" $ "component" "query"). */}}
{{- define "lancegate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lancegate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Names of the components' objects. */}}
{{- define "lancegate.query.name" -}}{{ include "lancegate.fullname" . | trunc 57 | trimSuffix "-" }}-query{{- end -}}
{{- define "lancegate.executor.name" -}}{{ include "lancegate.fullname" . | trunc 54 | trimSuffix "-" }}-executor{{- end -}}
{{- define "lancegate.executor.headless" -}}{{ include "lancegate.fullname" . | trunc 51 | trimSuffix "-" }}-executors{{- end -}}
{{- define "lancegate.agent.name" -}}{{ include "lancegate.fullname" . | trunc 57 | trimSuffix "-" }}-agent{{- end -}}

{{/* The workload-identity service account of query, executor and job pods. */}}
{{- define "lancegate.serviceAccountName" -}}
{{- default (include "lancegate.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The agent's service account. */}}
{{- define "lancegate.agent.serviceAccountName" -}}
{{- if .Values.agent.serviceAccount.create -}}
{{- default (include "lancegate.agent.name" .) .Values.agent.serviceAccount.name -}}
{{- else -}}
{{- include "lancegate.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/* Image of every container. */}}
{{- define "lancegate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Annotations of a workload-identity service account. */}}
{{- define "lancegate.wiAnnotations" -}}
{{- if .Values.workloadIdentity.enabled }}
azure.workload.identity/client-id: {{ required "workloadIdentity.clientId is required" .Values.workloadIdentity.clientId | quote }}
{{- with .Values.workloadIdentity.tenantId }}
azure.workload.identity/tenant-id: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.serviceAccount.annotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of a pod template: (dict "ctx" $ "component" "query"). */}}
{{- define "lancegate.podLabels" -}}
{{ include "lancegate.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
{{- if .ctx.Values.workloadIdentity.enabled }}
azure.workload.identity/use: "true"
{{- end }}
{{- end -}}

{{/* Annotations of a pod template. */}}
{{- define "lancegate.podAnnotations" -}}
{{- if .Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* Flags every serve role shares: storage, logging, metrics. */}}
{{- define "lancegate.commonArgs" -}}
- --storage={{ required "storage is required" .Values.storage }}
- --log-level={{ .Values.logLevel }}
- --metrics-listen=0.0.0.0:{{ .Values.metrics.port }}
{{- range $k, $v := .Values.storageOptions }}
- --storage-option={{ $k }}={{ $v }}
{{- end }}
{{- end -}}

{{/* Flags of the event bus and the maintenance policy (query and agent). */}}
{{- define "lancegate.eventArgs" -}}
{{- $e := .Values.events -}}
{{- if eq $e.type "kafka" }}
- --kafka-brokers={{ required "events.kafka.brokers is required with events.type kafka" $e.kafka.brokers }}
{{- range $k, $v := $e.kafka.options }}
- --kafka-option={{ $k }}={{ $v }}
{{- end }}
{{- else if eq $e.type "eventhubs" }}
{{- if not $e.eventhubs.connectionStringSecret }}
- --eventhubs-namespace={{ required "events.eventhubs.namespace or connectionStringSecret is required with events.type eventhubs" $e.eventhubs.namespace }}
{{- end }}
{{- else if ne $e.type "none" }}
{{- fail (printf "events.type %q: want kafka, eventhubs or none" $e.type) }}
{{- end }}
{{- if and (ne $e.type "none") $e.topic }}
- --kafka-topic={{ $e.topic }}
{{- end }}
{{- range $k, $v := .Values.policy }}
- --policy={{ $k }}={{ $v }}
{{- end }}
{{- end -}}

{{/* Environment of the event bus (query and agent). */}}
{{- define "lancegate.eventEnv" -}}
{{- if and (eq .Values.events.type "eventhubs") .Values.events.eventhubs.connectionStringSecret }}
- name: LANCEGATE_EVENTHUBS_CONNECTION_STRING
  valueFrom:
    secretKeyRef:
      name: {{ .Values.events.eventhubs.connectionStringSecret }}
      key: LANCEGATE_EVENTHUBS_CONNECTION_STRING
{{- end }}
{{- end -}}

{{/* Pod-level settings every pod shares. */}}
{{- define "lancegate.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
securityContext:
{{ toYaml .Values.podSecurityContext | indent 2 }}
{{- with .Values.tolerations }}
tolerations:
{{ toYaml . }}
{{- end }}
{{- with .Values.affinity }}
affinity:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}

{{/* Container settings every container shares: image, security, probes. */}}
{{- define "lancegate.containerCommon" -}}
image: {{ include "lancegate.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
{{ toYaml .Values.containerSecurityContext | indent 2 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: metrics
{{ toYaml .Values.probes.liveness | indent 2 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: metrics
{{ toYaml .Values.probes.readiness | indent 2 }}
{{- end -}}

{{/* Check that a resources block has requests and limits. */}}
{{- define "lancegate.resources" -}}
{{- if not (and .requests .limits) }}
{{- fail "every container needs resources.requests and resources.limits" }}
{{- end }}
{{- toYaml . }}
{{- end -}}
