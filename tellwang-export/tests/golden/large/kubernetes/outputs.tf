output "namespace" {
  description = "The Wok's namespace."
  value       = kubernetes_namespace_v1.wok.metadata[0].name
}

output "postgres_host" {
  description = "The Postgres service's name inside the namespace."
  value       = kubernetes_service_v1.postgres.metadata[0].name
}

output "services" {
  description = "Each service with ports: its Kubernetes service, by service name."
  value       = { "api" = kubernetes_service_v1.api.metadata[0].name, "realtime" = kubernetes_service_v1.realtime.metadata[0].name }
}
