variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more zones) the primary, its standby and the replica live in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the database (allows PostgreSQL from the application containers only)."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major.minor version."
  type        = string
  default     = "16.4"
}

variable "parameter_group_family" {
  description = "Parameter group family matching engine_version."
  type        = string
  default     = "postgres16"
}

variable "instance_class" {
  description = "Instance class of the primary (and its Multi-AZ standby)."
  type        = string
  default     = "db.m7g.large"
}

variable "replica_instance_class" {
  description = "Instance class of the read replica."
  type        = string
  default     = "db.m7g.large"
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Ceiling of storage autoscaling in GiB."
  type        = number
  default     = 1000
}

variable "database_name" {
  description = "Name of the application's database."
  type        = string
  default     = "safeguarding"
}

variable "owner_username" {
  description = "The owner role (RDS master user): owns every schema, runs migrations and school provisioning (DATABASE_OWNER_URL)."
  type        = string
  default     = "safeguarding_owner"
}

variable "app_username" {
  description = "The application role (DATABASE_URL): the grants given by the migrations, never the owner of a table."
  type        = string
  default     = "safeguarding_app"
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (RDS allows 1 to 35)."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Keep between 7 and 35 days of backups."
  }
}

variable "backup_window" {
  description = "Daily UTC window of the automated backup."
  type        = string
  default     = "01:00-02:00"
}

variable "maintenance_window" {
  description = "Weekly UTC window for minor upgrades and maintenance."
  type        = string
  default     = "sun:03:00-sun:04:00"
}

variable "slow_statement_ms" {
  description = "Statements slower than this many milliseconds are logged (their parameters never are)."
  type        = number
  default     = 1000
}

variable "log_retention_days" {
  description = "Days the PostgreSQL logs exported to CloudWatch Logs are kept."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the exported PostgreSQL log groups."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
