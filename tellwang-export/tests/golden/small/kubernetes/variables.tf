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

variable "secrets_revision" {
  description = "Raise it to send changed secret values to the cluster."
  type        = number
  default     = 1
}
