{{- define "parley.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "parley.labels" -}}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "parley.databaseSecret" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "parley.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The shared KV tier's --kv-shared URL, or nothing when it is off. */}}
{{- define "parley.kvSharedUrl" -}}
{{- $k := .Values.kvShared -}}
{{- if and (or $k.redis.url $k.redis.bundled.enabled) $k.volume.persistentVolumeClaim -}}
{{- fail "kvShared: choose Redis (kvShared.redis.url or kvShared.redis.bundled.enabled) or a ReadWriteMany volume (kvShared.volume.persistentVolumeClaim), not both" -}}
{{- end -}}
{{- if and $k.redis.url $k.redis.bundled.enabled -}}
{{- fail "kvShared.redis: set url (an existing Redis) or bundled.enabled, not both" -}}
{{- end -}}
{{- if $k.redis.bundled.enabled -}}
{{- printf "redis://%s-kv-redis:6379/0" (include "parley.fullname" .) -}}
{{- else if $k.redis.url -}}
{{- $k.redis.url -}}
{{- else if $k.volume.persistentVolumeClaim -}}
{{- printf "file://%s" $k.volume.mountPath -}}
{{- end -}}
{{- end -}}

{{- define "parley.kvRedisLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-kv-redis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: kv-shared
{{- end -}}
