terraform {
  required_version = ">= 1.6.0"

  required_providers {
    docker = { source = "kreuzwerker/docker", version = "~> 4.5" }
  }
}

resource "docker_network" "wok" {
  name     = "tw-billing"
  driver   = "bridge"
  internal = true

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
    value = "billing"
  }
}

resource "docker_volume" "postgres" {
  name = "tw-billing-postgres"

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
    value = "billing"
  }

  labels {
    label = "io.tellwang.volume"
    value = "postgres"
  }

  labels {
    label = "io.tellwang.storage-gib"
    value = "10"
  }
}

resource "docker_image" "postgres" {
  name         = "postgres:16"
  keep_locally = true
}

resource "docker_container" "postgres" {
  name    = "tw-billing-postgres"
  image   = docker_image.postgres.image_id
  restart = "unless-stopped"
  memory  = 512
  cpus    = "1"
  env = [
    "POSTGRES_DB=app",
    "POSTGRES_USER=app",
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
      "app",
      "-d",
      "app"
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
    value = "billing"
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
    value = "256"
  }
}

resource "docker_image" "api" {
  name         = "ghcr.io/acme/api:1.4.2"
  keep_locally = true
}

resource "docker_container" "api" {
  name    = "tw-billing-api"
  image   = docker_image.api.image_id
  restart = "unless-stopped"
  memory  = 256
  cpus    = "0.5"
  env = [
    "LOG_LEVEL=info",
    "JWT_SECRET=${var.JWT_SECRET}"
  ]

  networks_advanced {
    name = docker_network.wok.id
    aliases = [
      "api"
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
    value = "billing"
  }

  labels {
    label = "io.tellwang.service"
    value = "api"
  }

  labels {
    label = "io.tellwang.pids-limit"
    value = "128"
  }

  labels {
    label = "io.tellwang.ports"
    value = "8080"
  }
}
