variable "name" {
  description = "Prefix of every resource's name; bucket names are \"<name>-documents\", \"<name>-chain-heads\" and \"<name>-logs\" (S3 names are global: include something unique, e.g. the account)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted document's old version is kept before it expires: the backup retention period, so every kept backup can still find the versions it names."
  type        = number
  default     = 35
}

variable "chain_heads_retention_days" {
  description = "Default Object Lock retention (compliance mode) of each exported chain head: nobody, root included, can delete or overwrite it before then."
  type        = number
  default     = 3650
}

variable "log_retention_days" {
  description = "Days the load balancer's and the buckets' access logs are kept."
  type        = number
  default     = 365
}

variable "force_destroy" {
  description = "Let Terraform delete non-empty buckets (never in production; the chain heads bucket refuses anyway)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
