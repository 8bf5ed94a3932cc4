terraform {
  required_version = ">= 1.11.0"

  required_providers {
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 3.2.1, < 4.0.0" }
  }
}

resource "kubernetes_namespace_v1" "wok" {
  metadata {
    name   = "tw-billing"
    labels = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing", "app.kubernetes.io/part-of" = "tellwang" }
  }
}

resource "kubernetes_network_policy_v1" "wok" {
  metadata {
    name      = "wok-isolation"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing" }
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
  }
}

resource "kubernetes_secret_v1" "wok" {
  metadata {
    name      = "wok-secrets"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing" }
  }

  data_wo          = { "JWT_SECRET" = var.JWT_SECRET, "POSTGRES_PASSWORD" = var.POSTGRES_PASSWORD }
  data_wo_revision = var.secrets_revision
}

resource "kubernetes_service_v1" "postgres" {
  metadata {
    name      = "postgres"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing", "app.kubernetes.io/name" = "postgres" }
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
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing", "app.kubernetes.io/name" = "postgres" }
    annotations = { "tellwang.io/pids-limit" = "256", "tellwang.io/storage-gib" = "10" }
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
          image = "postgres:16"

          env {
            name  = "POSTGRES_DB"
            value = "app"
          }

          env {
            name  = "POSTGRES_USER"
            value = "app"
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
            limits = { cpu = "1000m", memory = "512Mi" }
          }

          readiness_probe {
            exec {
              command = [
                "pg_isready",
                "-U",
                "app",
                "-d",
                "app"
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
          requests = { storage = "10Gi" }
        }
      }
    }
  }
}

resource "kubernetes_deployment_v1" "api" {
  metadata {
    name        = "api"
    namespace   = kubernetes_namespace_v1.wok.metadata[0].name
    labels      = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing", "app.kubernetes.io/name" = "api" }
    annotations = { "tellwang.io/pids-limit" = "128", "tellwang.io/restart" = "unless-stopped" }
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

          port {
            container_port = 8080
          }

          env {
            name  = "LOG_LEVEL"
            value = "info"
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

resource "kubernetes_service_v1" "api" {
  metadata {
    name      = "api"
    namespace = kubernetes_namespace_v1.wok.metadata[0].name
    labels    = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "tellwang.io/team" = "team_fedcba9876543210fedcba9876543210", "tellwang.io/wok-name" = "billing", "app.kubernetes.io/name" = "api" }
  }

  spec {
    selector = { "tellwang.io/wok" = "wok_0123456789abcdef0123456789abcdef", "app.kubernetes.io/name" = "api" }

    port {
      name        = "p8080"
      port        = 8080
      target_port = "8080"
    }
  }
}
