terraform {
  required_version = ">= 1.6.0"

  required_providers {
    docker = { source = "kreuzwerker/docker", version = "~> 4.5" }
  }
}

resource "docker_network" "wok" {
  name     = "tw-acme-prod"
  driver   = "bridge"
  internal = false

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }
}

resource "docker_volume" "postgres" {
  name = "tw-acme-prod-postgres"

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.volume"
    value = "postgres"
  }

  labels {
    label = "io.tellwang.storage-gib"
    value = "50"
  }
}

resource "docker_volume" "uploads" {
  name = "tw-acme-prod-uploads"

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.volume"
    value = "uploads"
  }
}

resource "docker_volume" "scratch" {
  name = "tw-acme-prod-scratch"

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.volume"
    value = "scratch"
  }
}

resource "docker_image" "postgres" {
  name         = "postgres:16.4"
  keep_locally = true
}

resource "docker_container" "postgres" {
  name    = "tw-acme-prod-postgres"
  image   = docker_image.postgres.image_id
  restart = "unless-stopped"
  memory  = 2048
  cpus    = "2"
  env = [
    "POSTGRES_DB=acme",
    "POSTGRES_USER=acme_owner",
    "POSTGRES_PASSWORD=${var.POSTGRES_PASSWORD}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "postgres"
    ]
  }

  mounts {
    type      = "volume"
    target    = "/var/lib/postgresql/data"
    source    = docker_volume.postgres.name
    read_only = false
  }

  healthcheck {
    test = [
      "CMD",
      "pg_isready",
      "-U",
      "acme_owner",
      "-d",
      "acme"
    ]
    interval     = "5s"
    timeout      = "5s"
    retries      = 10
    start_period = "10s"
  }

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.role"
    value = "postgres"
  }

  labels {
    label = "io.tellwang.password-secret"
    value = "POSTGRES_PASSWORD"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "512"
  }
}

resource "docker_image" "api" {
  name         = "ghcr.io/acme/api:1.4.2"
  keep_locally = true
}

resource "docker_container" "api" {
  name    = "tw-acme-prod-api"
  image   = docker_image.api.image_id
  restart = "always"
  memory  = 512
  cpus    = "1.5"
  command = [
    "serve",
    "--listen",
    "0.0.0.0:8080"
  ]
  env = [
    "DATABASE_HOST=postgres",
    "GREETING=Hello, \"$${user}\"!\nWelcome.",
    "LOG_LEVEL=info",
    "TEMPLATE=%%{ if admin }root%%{ endif }",
    "DATABASE_PASSWORD=${var.DATABASE_PASSWORD}",
    "JWT_SECRET=${var.JWT_SECRET}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "api"
    ]
  }

  mounts {
    type      = "volume"
    target    = "/srv/uploads"
    source    = docker_volume.uploads.name
    read_only = false
  }

  healthcheck {
    test = [
      "CMD",
      "/bin/check",
      "/healthz"
    ]
    interval     = "10s"
    timeout      = "3s"
    retries      = 5
    start_period = "20s"
  }

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.service"
    value = "api"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "256"
  }

  labels {
    label = "io.tellwang.ports"
    value = "8080,9090"
  }
}

resource "docker_image" "worker" {
  name         = "ghcr.io/acme/worker:1.4.2"
  keep_locally = true
}

resource "docker_container" "worker" {
  name    = "tw-acme-prod-worker"
  image   = docker_image.worker.image_id
  restart = "on-failure"
  memory  = 1024
  cpus    = "0.25"
  command = [
    "work",
    "--queue=default"
  ]
  env = [
    "CONCURRENCY=4",
    "PATH_HINT=C:\\jobs\\tmp",
    "DATABASE_PASSWORD=${var.DATABASE_PASSWORD}",
    "S3_SECRET_KEY=${var.S3_SECRET_KEY}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "worker"
    ]
  }

  mounts {
    type      = "volume"
    target    = "/data/uploads"
    source    = docker_volume.uploads.name
    read_only = true
  }

  mounts {
    type      = "volume"
    target    = "/tmp/scratch"
    source    = docker_volume.scratch.name
    read_only = false
  }

  healthcheck {
    test = [
      "CMD",
      "/bin/check",
      "/ready"
    ]
    interval     = "10s"
    timeout      = "3s"
    retries      = 5
    start_period = "20s"
  }

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.service"
    value = "worker"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "64"
  }
}

resource "docker_image" "realtime" {
  name         = "tellwang/realtime:dev"
  keep_locally = true
}

resource "docker_container" "realtime" {
  name    = "tw-acme-prod-realtime"
  image   = docker_image.realtime.image_id
  restart = "unless-stopped"
  memory  = 256
  cpus    = "0.5"
  env = [
    "JWT_SECRET=${var.JWT_SECRET}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "realtime"
    ]
  }

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.service"
    value = "realtime"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "128"
  }

  labels {
    label = "io.tellwang.ports"
    value = "4000"
  }
}

resource "docker_image" "migrate" {
  name         = "ghcr.io/acme/api:1.4.2"
  keep_locally = true
}

resource "docker_container" "migrate" {
  name    = "tw-acme-prod-migrate"
  image   = docker_image.migrate.image_id
  restart = "no"
  memory  = 256
  cpus    = "0.5"
  command = [
    "migrate",
    "up"
  ]
  env = [
    "DATABASE_PASSWORD=${var.DATABASE_PASSWORD}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "migrate"
    ]
  }

  labels {
    label = "io.tellwang.wok"
    value = "wok_0123456789abcdef0123456789abcdef"
  }

  labels {
    label = "io.tellwang.team"
    value = "team_fedcba9876543210fedcba9876543210"
  }

  labels {
    label = "io.tellwang.wok-name"
    value = "acme-prod"
  }

  labels {
    label = "io.tellwang.service"
    value = "migrate"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "128"
  }
}

variable "DATABASE_PASSWORD" {
  description = "The Wok's secret `DATABASE_PASSWORD`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "JWT_SECRET" {
  description = "The Wok's secret `JWT_SECRET`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "POSTGRES_PASSWORD" {
  description = "The Wok's secret `POSTGRES_PASSWORD`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "S3_SECRET_KEY" {
  description = "The Wok's secret `S3_SECRET_KEY`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
}

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
