variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "domain_name" {
  description = "BASE_DOMAIN: the trust portal at the domain itself, each school at <slug>.<domain>."
  type        = string
}

variable "route53_zone_id" {
  description = "ID of the public Route 53 hosted zone of domain_name (certificate validation and the records)."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (two or more zones) of the load balancer."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "app_port" {
  description = "Port gunicorn listens on in the web containers."
  type        = number
  default     = 8000
}

variable "health_check_path" {
  description = "The readiness probe (docs/operations.md, \"Probes\")."
  type        = string
  default     = "/readyz"
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.2 and 1.3 only)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "access_logs_bucket" {
  description = "S3 bucket (SSE-S3) receiving the load balancer's access logs under alb/."
  type        = string
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes before WAF blocks it."
  type        = number
  default     = 2000
}

variable "waf_log_retention_days" {
  description = "Days the WAF's logs are kept."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the WAF's log group."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
