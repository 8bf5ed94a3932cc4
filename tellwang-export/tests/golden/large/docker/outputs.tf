output "network" {
  description = "The Wok's Docker network."
  value       = docker_network.wok.name
}

output "postgres_container" {
  description = "The Postgres container, reachable as `postgres` on the network."
  value       = docker_container.postgres.name
}

output "containers" {
  description = "Each service's container, by service name."
  value       = { "api" = docker_container.api.name, "worker" = docker_container.worker.name, "realtime" = docker_container.realtime.name, "migrate" = docker_container.migrate.name }
}
