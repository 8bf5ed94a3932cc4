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
