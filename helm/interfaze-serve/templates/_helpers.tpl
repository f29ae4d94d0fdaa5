{{/* Chart name, overridable. */}}
{{- define "interfaze-serve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/*
Object name. Kept at 40 characters: KubeRay derives longer names from it
(<name>-<hash> RayClusters, <name>-serve-svc, <name>-head-svc).
*/}}
{{- define "interfaze-serve.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "interfaze-serve.selectorLabels" -}}
app.kubernetes.io/name: {{ include "interfaze-serve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "interfaze-serve.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "interfaze-serve.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "interfaze-serve.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Address of Milvus: the in-chart dependency, or milvus.uri. */}}
{{- define "interfaze-serve.milvusUri" -}}
{{- if .Values.milvus.enabled }}
{{- $svc := ternary .Release.Name (printf "%s-milvus" .Release.Name) (contains "milvus" .Release.Name) }}
{{- printf "http://%s.%s.svc:19530" $svc .Release.Namespace }}
{{- else }}
{{- .Values.milvus.uri }}
{{- end }}
{{- end }}

{{/*
The Serve config KubeRay deploys: one application, our builder, and the whole `interfaze`
document as its args (validated by the app with the AppConfig schema at deploy time).
Per-deployment options come from that document through build_app, not from here.
*/}}
{{- define "interfaze-serve.serveConfig" -}}
{{- $cfg := .Values.interfaze }}
{{- $application := dict "name" ($cfg.app_name | default "interfaze") "route_prefix" ($cfg.route_prefix | default "/") "import_path" "serve.app_builder:build_app" "runtime_env" .Values.serveApplication.runtimeEnv "args" $cfg }}
{{- $http := dict "host" ($cfg.host | default "0.0.0.0") "port" ($cfg.port | default 8000) }}
{{- toYaml (dict "proxy_location" "EveryNode" "http_options" $http "applications" (list $application)) }}
{{- end }}

{{/* Environment of every Ray container. */}}
{{- define "interfaze-serve.env" -}}
- name: IFZ_MODELS_DIR
  value: {{ .Values.models.mountPath | quote }}
{{- if eq .Values.models.source "hf" }}
- name: HF_HOME
  value: {{ printf "%s/huggingface" .Values.models.mountPath | quote }}
{{- else }}
- name: HF_HUB_OFFLINE
  value: "1"
{{- end }}
{{- if .Values.huggingface.existingSecret }}
- name: HF_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.huggingface.existingSecret }}
      key: {{ .Values.huggingface.key }}
{{- end }}
{{- if .Values.apiKeys.existingSecret }}
- name: IFZ_API_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.apiKeys.existingSecret }}
      key: {{ .Values.apiKeys.key }}
{{- end }}
{{- with include "interfaze-serve.milvusUri" . }}
- name: IFZ_MILVUS_URI
  value: {{ . | quote }}
{{- end }}
{{- if eq .Values.rayService.ingressProxy "haproxy" }}
- name: RAY_SERVE_ENABLE_HA_PROXY
  value: "1"
{{- end }}
{{- if .Values.rayService.throughputOptimized }}
- name: RAY_SERVE_THROUGHPUT_OPTIMIZED
  value: "1"
{{- end }}
- name: RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH
  value: {{ .Values.rayService.grpcMaxMessageBytes | int64 | toString | quote }}
- name: RAY_SERVE_METRICS_EXPORT_INTERVAL_MS
  value: {{ .Values.rayService.metricsExportIntervalMs | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level fields shared by head and workers: $ = root, .group = scheduling values. */}}
{{- define "interfaze-serve.podCommon" -}}
{{- $root := .root }}
{{- with $root.Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .group.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .group.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .group.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "interfaze-serve.podMetadata" -}}
labels:
  {{- include "interfaze-serve.selectorLabels" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
