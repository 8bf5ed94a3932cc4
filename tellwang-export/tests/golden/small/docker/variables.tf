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
