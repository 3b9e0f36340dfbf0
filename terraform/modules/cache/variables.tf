variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more zones) the Redis nodes live in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of Redis (allows 6379 from the application containers only)."
  type        = string
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "parameter_group_name" {
  description = "ElastiCache parameter group matching engine_version."
  type        = string
  default     = "default.redis7"
}

variable "node_type" {
  description = "Node type of each Redis node."
  type        = string
  default     = "cache.m7g.large"
}

variable "node_count" {
  description = "Nodes in the replication group: one primary and the rest replicas in other zones (at least 2, for failover)."
  type        = number
  default     = 2

  validation {
    condition     = var.node_count >= 2
    error_message = "Automatic failover needs at least two nodes."
  }
}

variable "database_index" {
  description = "Redis database number in REDIS_URL."
  type        = number
  default     = 0
}

variable "snapshot_retention_days" {
  description = "Days of daily Redis snapshots kept (queued tasks, lockout counts)."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Days the Redis slow and engine logs are kept."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the Redis log groups."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
