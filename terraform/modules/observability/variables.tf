variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "log_retention_days" {
  description = "Days the containers' logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "enable_alarms" {
  description = "Create the alarms (false until the resources they watch exist, e.g. a first partial apply)."
  type        = bool
  default     = true
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the web target group (CloudWatch dimension TargetGroup)."
  type        = string
}

variable "ecs_cluster_name" {
  description = "Name of the ECS cluster (Container Insights must be on)."
  type        = string
}

variable "ecs_services" {
  description = "The ECS services watched for running tasks: name of the service => fewest tasks that must be running."
  type        = map(number)
}

variable "beat_service_name" {
  description = "The ECS service of Celery beat, alarmed when other than exactly one task runs."
  type        = string
}

variable "db_primary_identifier" {
  description = "RDS identifier of the primary."
  type        = string
}

variable "db_replica_identifier" {
  description = "RDS identifier of the read replica."
  type        = string
}

variable "cache_cluster_ids" {
  description = "ElastiCache node IDs of the Redis replication group."
  type        = list(string)
}

variable "error_rate_percent" {
  description = "Alarm when more than this percentage of requests end in a 5xx (load balancer's or the application's) over 5 minutes."
  type        = number
  default     = 2
}

variable "response_time_p95_seconds" {
  description = "Alarm when the 95th percentile of the web containers' response time exceeds this many seconds for 15 minutes."
  type        = number
  default     = 2
}

variable "db_cpu_percent" {
  description = "Alarm when the primary's CPU stays above this percentage for 15 minutes."
  type        = number
  default     = 80
}

variable "db_free_storage_bytes" {
  description = "Alarm when the primary's free storage falls below this many bytes."
  type        = number
  default     = 10737418240
}

variable "db_replica_lag_seconds" {
  description = "Alarm when the read replica lags the primary by more than this many seconds for 10 minutes."
  type        = number
  default     = 300
}

variable "cache_memory_percent" {
  description = "Alarm when Redis uses more than this percentage of its memory (queued tasks pile up when workers stop)."
  type        = number
  default     = 75
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
