{{/* Names, labels and the settings every doudi container shares. */}}

{{- define "doudi.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The Kubernetes name of one service's role: <fullname>-<service> for serve, -<role> otherwise. */}}
{{- define "doudi.roleName" -}}
{{- $root := index . 0 -}}{{- $service := index . 1 -}}{{- $role := index . 2 -}}
{{- if eq $role "serve" -}}
{{- printf "%s-%s" (include "doudi.fullname" $root) $service -}}
{{- else -}}
{{- printf "%s-%s-%s" (include "doudi.fullname" $root) $service $role -}}
{{- end -}}
{{- end -}}

{{- define "doudi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: doudi
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service (all its roles): [root, service]. */}}
{{- define "doudi.serviceSelector" -}}
{{- $root := index . 0 -}}{{- $service := index . 1 -}}
app.kubernetes.io/name: doudi
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $service }}
{{- end -}}

{{/* Selector labels of one role of one service: [root, service, role]. */}}
{{- define "doudi.roleSelector" -}}
{{- $root := index . 0 -}}{{- $service := index . 1 -}}{{- $role := index . 2 -}}
{{ include "doudi.serviceSelector" (list $root $service) }}
doudi.io/role: {{ $role }}
{{- end -}}

{{/* The enabled roles of a service with their settings merged over roleDefaults, as YAML: [root, service]. */}}
{{- define "doudi.roles" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- $svc := index $root.Values.services $name -}}
{{- $out := dict -}}
{{- range $role, $override := $svc.roles -}}
{{- $merged := mergeOverwrite (deepCopy (index $root.Values.roleDefaults $role)) (deepCopy (default dict $override)) -}}
{{- if ne (toString (dig "enabled" true $merged)) "false" -}}
{{- $_ := set $out $role $merged -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{- define "doudi.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "doudi.databaseSecretName" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- $svc := index $root.Values.services $name -}}
{{- $db := default dict $svc.database -}}
{{- default (printf "%s-%s-database" (include "doudi.fullname" $root) $name) $db.existingSecret -}}
{{- end -}}

{{/* The Secret with one service's keys for personal data at rest: [root, service]. */}}
{{- define "doudi.fieldKeysSecretName" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- $given := index (default dict (default dict $root.Values.fieldKeys).existingSecrets) $name -}}
{{- default (printf "%s-%s-field-keys" (include "doudi.fullname" $root) $name) $given -}}
{{- end -}}

{{/* The Secret with one service's certificate, key and CA: [root, service]. */}}
{{- define "doudi.tlsSecretName" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- default (printf "%s-%s-tls" (include "doudi.fullname" $root) $name) (index (default dict $root.Values.tls.secrets) $name) -}}
{{- end -}}

{{/* True (non-empty) when gRPC runs over TLS. */}}
{{- define "doudi.tlsOn" -}}
{{- if ne (toString .Values.tls.mode) "off" }}true{{ end -}}
{{- end -}}

{{- define "doudi.authSecretName" -}}
{{- default (printf "%s-auth" (include "doudi.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* The gRPC target (host:port) of a doudi service or of an external system: [root, name]. */}}
{{- define "doudi.target" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- if hasKey $root.Values.services $name -}}
{{- printf "%s:%v" (include "doudi.roleName" (list $root $name "serve")) (index $root.Values.services $name).grpcPort -}}
{{- else -}}
{{- (index $root.Values.external $name).target -}}
{{- end -}}
{{- end -}}

{{/*
The environment of one service's containers: [root, service, role]. Names are the settings of
doudi_runtime.settings.ServiceSettings and the service's own settings class.
*/}}
{{- define "doudi.env" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}{{- $role := index . 2 -}}
{{- $svc := index $root.Values.services $name -}}
- name: SERVICE_NAME
  value: {{ $name | quote }}
- name: ENVIRONMENT
  value: production
- name: MIGRATE_ON_START
  value: "false"
- name: GRPC_HOST
  value: 0.0.0.0
- name: GRPC_PORT
  value: {{ $svc.grpcPort | quote }}
- name: METRICS_HOST
  value: 0.0.0.0
- name: METRICS_PORT
  value: {{ $svc.metricsPort | quote }}
- name: DATA_DIR
  value: /tmp/doudi
{{- if $svc.httpPort }}
- name: HTTP_HOST
  value: 0.0.0.0
- name: HTTP_PORT
  value: {{ $svc.httpPort | quote }}
{{- end }}
{{- if $svc.store }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $root.Values.kafka.bootstrapServers | quote }}
{{- with $root.Values.kafka.security }}
{{- if and .protocol (ne .protocol "PLAINTEXT") (ne $role "migrate") }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ .protocol | quote }}
{{- if hasPrefix "SASL_" .protocol }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .saslMechanism | quote }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: KAFKA_SASL_USERNAME
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: KAFKA_SASL_PASSWORD
{{- end }}
{{- if .caSecret }}
- name: KAFKA_SSL_CAFILE
  value: /etc/doudi/kafka/ca.crt
{{- end }}
{{- end }}
{{- end }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "doudi.databaseSecretName" (list $root $name) }}
      key: {{ default "DATABASE_URL" (default dict $svc.database).existingSecretKey }}
- name: FIELD_ENCRYPTION_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "doudi.fieldKeysSecretName" (list $root $name) }}
      key: FIELD_ENCRYPTION_KEYS
- name: LOOKUP_HASH_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "doudi.fieldKeysSecretName" (list $root $name) }}
      key: LOOKUP_HASH_KEYS
{{- end }}
{{- range $called := (default list $svc.calls) }}
- name: {{ printf "%s_TARGET" (upper $called) }}
  value: {{ include "doudi.target" (list $root $called) | quote }}
{{- end }}
{{- if and (eq $root.Values.auth.mode "mtls") (ne (toString $root.Values.tls.mode) "mtls") }}
{{- fail "auth.mode=mtls needs tls.mode=mtls: certificates name the services" }}
{{- end }}
{{- if eq $role "migrate" }}
- name: AUTH_MODE
  value: "off"
{{- else }}
- name: AUTH_MODE
  value: {{ $root.Values.auth.mode | quote }}
{{- if ne $root.Values.auth.mode "off" }}
- name: AUTH_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "doudi.authSecretName" $root }}
      key: AUTH_TOKENS
{{- end }}
{{- if eq $root.Values.auth.mode "token" }}
- name: CLIENT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "doudi.authSecretName" $root }}
      key: CLIENT_TOKEN
{{- end }}
{{- if include "doudi.tlsOn" $root }}
- name: TLS_MODE
  value: {{ $root.Values.tls.mode | quote }}
- name: TLS_CERT_FILE
  value: /etc/doudi/tls/tls.crt
- name: TLS_KEY_FILE
  value: /etc/doudi/tls/tls.key
- name: TLS_CA_FILE
  value: /etc/doudi/tls/ca.crt
- name: HEALTH_PORT
  value: {{ $root.Values.tls.healthPort | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := $root.Values.settings }}
{{- if not (hasKey (default dict $svc.settings) $key) }}
- name: {{ $key }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := (default dict $svc.settings) }}
- name: {{ $key }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end -}}

{{/*
Volumes every doudi pod mounts: a writable /tmp (the root filesystem is read-only), the service's
own certificate when gRPC runs over TLS, and the brokers' CA: [root, service].
*/}}
{{- define "doudi.volumes" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if include "doudi.tlsOn" $root }}
- name: tls
  secret:
    secretName: {{ include "doudi.tlsSecretName" (list $root $name) }}
    defaultMode: 0440
{{- end }}
{{- if $root.Values.kafka.security.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ $root.Values.kafka.security.caSecret }}
{{- end }}
{{- end -}}

{{- define "doudi.volumeMounts" -}}
{{- $root := index . 0 -}}
- name: tmp
  mountPath: /tmp
{{- if include "doudi.tlsOn" $root }}
- name: tls
  mountPath: /etc/doudi/tls
  readOnly: true
{{- end }}
{{- if $root.Values.kafka.security.caSecret }}
- name: kafka-ca
  mountPath: /etc/doudi/kafka
  readOnly: true
{{- end }}
{{- end -}}

{{- define "doudi.podSpecCommon" -}}
automountServiceAccountToken: false
{{- with .Values.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
