variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's IPv4 range; split into one public and one private /20-sized subnet per zone."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Two or three availability zones of the region, one public and one private subnet in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
    error_message = "Give two or three availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for every zone (cheaper) instead of one per zone (a zone's failure then cuts the others' outbound traffic)."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow logs' log group."
  type        = string
}

variable "app_port" {
  description = "Port gunicorn listens on in the web containers (deploy/gunicorn.conf.py)."
  type        = number
  default     = 8000
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
