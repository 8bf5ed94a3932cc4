terraform {
  required_version = ">= 1.11.0"

  required_providers {
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 3.2.1, < 4.0.0" }
  }
}

resource "kubernetes_namespace_v1" "wok" {
  metadata {
    name   = "tw-acme-prod"
    labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/part-of" = "tellwang" }
  }
}

resource "kubernetes_network_policy_v1" "wok" {
  metadata {
    name      = "wok-isolation"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod" }
  }

  spec {
    pod_selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef" }
    }

    policy_types = [
      "Ingress",
      "Egress"
    ]

    ingress {
      from {
        pod_selector {
          match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef" }
        }
      }
    }

    egress {
      to {
        pod_selector {
          match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef" }
        }
      }
    }

    egress {
      to {
        namespace_selector {
          match_labels = { "kubernetes.io/metadata.name" = "kube-system" }
        }

        pod_selector {
          match_labels = { "k8s-app" = "kube-dns" }
        }
      }

      ports {
        port     = "53"
        protocol = "UDP"
      }

      ports {
        port     = "53"
        protocol = "TCP"
      }
    }

    egress {
      to {
        ip_block {
          cidr = "0.0.0.0/0"
        }
      }

      to {
        ip_block {
          cidr = "::/0"
        }
      }
    }
  }
}

resource "kubernetes_secret_v1" "wok" {
  metadata {
    name      = "wok-secrets"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod" }
  }

  data_wo          = { "DATABASE_PASSWORD" = var.DATABASE_PASSWORD, "JWT_SECRET" = var.JWT_SECRET, "POSTGRES_PASSWORD" = var.POSTGRES_PASSWORD, "S3_SECRET_KEY" = var.S3_SECRET_KEY }
  data_wo_revision = var.secrets_revision
}

resource "kubernetes_service_v1" "postgres" {
  metadata {
    name      = "postgres"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "postgres" }
  }

  spec {
    cluster_ip = "None"
    selector   = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "postgres" }

    port {
      name        = "postgres"
      port        = 5432
      target_port = "5432"
    }
  }
}

resource "kubernetes_stateful_set_v1" "postgres" {
  metadata {
    name        = "postgres"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "postgres" }
    annotations = { "tellwang.io/pids-limit" = "512", "tellwang.io/storage-gib" = "50" }
  }

  spec {
    service_name = kubernetes_service_v1.postgres.metadata[0].name
    replicas     = "1"

    selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "postgres" }
    }

    template {
      metadata {
        labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "postgres" }
      }

      spec {
        automount_service_account_token = false
        enable_service_links            = false

        container {
          name  = "postgres"
          image = "postgres:16.4"

          env {
            name  = "POSTGRES_DB"
            value = "acme"
          }

          env {
            name  = "POSTGRES_USER"
            value = "acme_owner"
          }

          env {
            name = "POSTGRES_PASSWORD"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "POSTGRES_PASSWORD"
              }
            }
          }

          env {
            name  = "PGDATA"
            value = "/var/lib/postgresql/data/pgdata"
          }

          port {
            container_port = 5432
          }

          resources {
            limits = { cpu = "2000m", memory = "2048Mi" }
          }

          readiness_probe {
            exec {
              command = [
                "pg_isready",
                "-U",
                "acme_owner",
                "-d",
                "acme"
              ]
            }

            initial_delay_seconds = 10
            period_seconds        = 5
            timeout_seconds       = 5
            failure_threshold     = 10
          }

          volume_mount {
            name       = "data"
            mount_path = "/var/lib/postgresql/data"
          }
        }
      }
    }

    volume_claim_template {
      metadata {
        name = "data"
      }

      spec {
        access_modes = [
          "ReadWriteOnce"
        ]

        resources {
          requests = { storage = "50Gi" }
        }
      }
    }
  }
}

resource "kubernetes_persistent_volume_claim_v1" "uploads" {
  metadata {
    name      = "uploads"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "tellwang.io/volume" = "uploads" }
  }

  spec {
    access_modes = [
      "ReadWriteOnce"
    ]

    resources {
      requests = { storage = "1Gi" }
    }
  }

  wait_until_bound = false
}

resource "kubernetes_persistent_volume_claim_v1" "scratch" {
  metadata {
    name      = "scratch"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "tellwang.io/volume" = "scratch" }
  }

  spec {
    access_modes = [
      "ReadWriteOnce"
    ]

    resources {
      requests = { storage = "1Gi" }
    }
  }

  wait_until_bound = false
}

resource "kubernetes_deployment_v1" "api" {
  metadata {
    name        = "api"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "api" }
    annotations = { "tellwang.io/pids-limit" = "256", "tellwang.io/restart" = "always" }
  }

  spec {
    replicas = "1"

    selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "api" }
    }

    template {
      metadata {
        labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "api" }
      }

      spec {
        automount_service_account_token = false
        enable_service_links            = false

        container {
          name  = "api"
          image = "ghcr.io/acme/api:1.4.2"
          args = [
            "serve",
            "--listen",
            "0.0.0.0:8080"
          ]

          port {
            container_port = 8080
          }

          port {
            container_port = 9090
          }

          env {
            name  = "DATABASE_HOST"
            value = "postgres"
          }

          env {
            name  = "GREETING"
            value = "Hello, \"$$${user}\"!\nWelcome."
          }

          env {
            name  = "LOG_LEVEL"
            value = "info"
          }

          env {
            name  = "TEMPLATE"
            value = "%%{ if admin }root%%{ endif }"
          }

          env {
            name = "DATABASE_PASSWORD"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "DATABASE_PASSWORD"
              }
            }
          }

          env {
            name = "JWT_SECRET"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "JWT_SECRET"
              }
            }
          }

          resources {
            limits = { cpu = "1500m", memory = "512Mi" }
          }

          liveness_probe {
            exec {
              command = [
                "/bin/check",
                "/healthz"
              ]
            }

            initial_delay_seconds = 20
            period_seconds        = 10
            timeout_seconds       = 3
            failure_threshold     = 5
          }

          readiness_probe {
            exec {
              command = [
                "/bin/check",
                "/healthz"
              ]
            }

            initial_delay_seconds = 20
            period_seconds        = 10
            timeout_seconds       = 3
            failure_threshold     = 5
          }

          volume_mount {
            name       = "uploads"
            mount_path = "/srv/uploads"
            read_only  = false
          }
        }

        volume {
          name = "uploads"

          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim_v1.uploads.metadata[0].name
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "api" {
  metadata {
    name      = "api"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "api" }
  }

  spec {
    selector = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "api" }

    port {
      name        = "p8080"
      port        = 8080
      target_port = "8080"
    }

    port {
      name        = "p9090"
      port        = 9090
      target_port = "9090"
    }
  }
}

resource "kubernetes_deployment_v1" "worker" {
  metadata {
    name        = "worker"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "worker" }
    annotations = { "tellwang.io/pids-limit" = "64", "tellwang.io/restart" = "on-failure" }
  }

  spec {
    replicas = "1"

    selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "worker" }
    }

    template {
      metadata {
        labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "worker" }
      }

      spec {
        automount_service_account_token = false
        enable_service_links            = false

        container {
          name  = "worker"
          image = "ghcr.io/acme/worker:1.4.2"
          args = [
            "work",
            "--queue=default"
          ]

          env {
            name  = "CONCURRENCY"
            value = "4"
          }

          env {
            name  = "PATH_HINT"
            value = "C:\\jobs\\tmp"
          }

          env {
            name = "DATABASE_PASSWORD"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "DATABASE_PASSWORD"
              }
            }
          }

          env {
            name = "S3_SECRET_KEY"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "S3_SECRET_KEY"
              }
            }
          }

          resources {
            limits = { cpu = "250m", memory = "1024Mi" }
          }

          liveness_probe {
            exec {
              command = [
                "/bin/check",
                "/ready"
              ]
            }

            initial_delay_seconds = 20
            period_seconds        = 10
            timeout_seconds       = 3
            failure_threshold     = 5
          }

          readiness_probe {
            exec {
              command = [
                "/bin/check",
                "/ready"
              ]
            }

            initial_delay_seconds = 20
            period_seconds        = 10
            timeout_seconds       = 3
            failure_threshold     = 5
          }

          volume_mount {
            name       = "uploads"
            mount_path = "/data/uploads"
            read_only  = true
          }

          volume_mount {
            name       = "scratch"
            mount_path = "/tmp/scratch"
            read_only  = false
          }
        }

        volume {
          name = "uploads"

          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim_v1.uploads.metadata[0].name
          }
        }

        volume {
          name = "scratch"

          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim_v1.scratch.metadata[0].name
          }
        }
      }
    }
  }
}

resource "kubernetes_deployment_v1" "realtime" {
  metadata {
    name        = "realtime"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "realtime" }
    annotations = { "tellwang.io/pids-limit" = "128", "tellwang.io/restart" = "unless-stopped" }
  }

  spec {
    replicas = "1"

    selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "realtime" }
    }

    template {
      metadata {
        labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "realtime" }
      }

      spec {
        automount_service_account_token = false
        enable_service_links            = false

        container {
          name  = "realtime"
          image = "tellwang/realtime:dev"

          port {
            container_port = 4000
          }

          env {
            name = "JWT_SECRET"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "JWT_SECRET"
              }
            }
          }

          resources {
            limits = { cpu = "500m", memory = "256Mi" }
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "realtime" {
  metadata {
    name      = "realtime"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "realtime" }
  }

  spec {
    selector = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "realtime" }

    port {
      name        = "p4000"
      port        = 4000
      target_port = "4000"
    }
  }
}

resource "kubernetes_deployment_v1" "migrate" {
  metadata {
    name        = "migrate"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "acme-prod", "app.kubernetes.io/name" = "migrate" }
    annotations = { "tellwang.io/pids-limit" = "128", "tellwang.io/restart" = "no" }
  }

  spec {
    replicas = "1"

    selector {
      match_labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "migrate" }
    }

    template {
      metadata {
        labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "migrate" }
      }

      spec {
        automount_service_account_token = false
        enable_service_links            = false

        container {
          name  = "migrate"
          image = "ghcr.io/acme/api:1.4.2"
          args = [
            "migrate",
            "up"
          ]

          env {
            name = "DATABASE_PASSWORD"

            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.wok.metadata[0].name
                key  = "DATABASE_PASSWORD"
              }
            }
          }

          resources {
            limits = { cpu = "500m", memory = "256Mi" }
          }
        }
      }
    }
  }
}

variable "DATABASE_PASSWORD" {
  description = "The Wok's secret `DATABASE_PASSWORD`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
  ephemeral   = true
}

variable "JWT_SECRET" {
  description = "The Wok's secret `JWT_SECRET`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
  ephemeral   = true
}

variable "POSTGRES_PASSWORD" {
  description = "The Wok's secret `POSTGRES_PASSWORD`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
  ephemeral   = true
}

variable "S3_SECRET_KEY" {
  description = "The Wok's secret `S3_SECRET_KEY`. Never commit its value."
  type        = string
  sensitive   = true
  nullable    = false
  ephemeral   = true
}

variable "secrets_revision" {
  description = "Raise it to send changed secret values to the cluster."
  type        = number
  default     = 1
}

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
