variable "region" {
  description = "AWS region of everything (a UK region: the schools' records stay in the UK)."
  type        = string
  default     = "eu-west-2"
}

variable "name" {
  description = "Prefix of every resource's name."
  type        = string
  default     = "safeguarding-prod"
}

variable "bucket_prefix" {
  description = "Prefix of the S3 bucket names, globally unique (e.g. the name and the account ID)."
  type        = string
}

variable "availability_zones" {
  description = "Two or three availability zones of the region."
  type        = list(string)
  default     = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
}

variable "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "domain_name" {
  description = "BASE_DOMAIN: the trust portal at the domain, schools at <slug>.<domain>."
  type        = string
}

variable "route53_zone_id" {
  description = "Public Route 53 hosted zone of domain_name."
  type        = string
}

variable "default_from_email" {
  description = "DEFAULT_FROM_EMAIL of the application's emails."
  type        = string
}

variable "app_image" {
  description = "The application image (deploy/Dockerfile's app target), pinned by digest."
  type        = string
}

variable "clamd_image" {
  description = "The clamd image."
  type        = string
  default     = "clamav/clamav:1.4"
}

variable "backup_retention_days" {
  description = "The backup retention period (docs/backups.md): days of database point-in-time recovery, of the documents' old S3 versions and of each school's nightly backups (BACKUP_KEEP_DAYS)."
  type        = number
  default     = 35
}

variable "chain_heads_retention_days" {
  description = "Compliance-mode retention of each exported chain head, in days."
  type        = number
  default     = 3650
}

variable "log_retention_days" {
  description = "Days every CloudWatch log group and the access logs are kept."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarms."
  type        = list(string)
  default     = []
}
