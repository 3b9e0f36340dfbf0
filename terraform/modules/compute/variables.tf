variable "name" {
  description = "Prefix of every resource's name (e.g. \"safeguarding-production\")."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC (clamd's private DNS namespace)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "app_security_group_id" {
  description = "Security group of the web, worker, beat and migration tasks."
  type        = string
}

variable "backups_security_group_id" {
  description = "Security group of the backups volume's mount targets (NFS from the application containers)."
  type        = string
}

variable "backup_keep_days" {
  description = "BACKUP_KEEP_DAYS: days each school's nightly backup is kept on the backups volume (docs/backups.md)."
  type        = number
  default     = 35
}

variable "clamd_security_group_id" {
  description = "Security group of the clamd tasks."
  type        = string
}

variable "app_image" {
  description = "The application image (deploy/Dockerfile's app target), by digest or immutable tag, e.g. <account>.dkr.ecr.eu-west-2.amazonaws.com/safeguarding@sha256:..."
  type        = string
}

variable "clamd_image" {
  description = "The clamd image (ClamAV's official image, as in deploy/compose.yaml)."
  type        = string
  default     = "clamav/clamav:1.4"
}

variable "domain_name" {
  description = "BASE_DOMAIN."
  type        = string
}

variable "default_from_email" {
  description = "DEFAULT_FROM_EMAIL: the sender of alert, invitation and reminder emails."
  type        = string
}

variable "log_level" {
  description = "LOG_LEVEL of every process."
  type        = string
  default     = "INFO"
}

variable "web" {
  description = "Web tasks: Fargate CPU units and MiB, gunicorn processes and threads, the fewest and most tasks, the CPU percentage and requests per task autoscaling aims at."
  type = object({
    cpu                 = number
    memory              = number
    gunicorn_workers    = number
    gunicorn_threads    = number
    min_count           = number
    max_count           = number
    cpu_target_percent  = number
    requests_per_target = number
  })
  default = {
    cpu                 = 1024
    memory              = 2048
    gunicorn_workers    = 3
    gunicorn_threads    = 4
    min_count           = 2
    max_count           = 10
    cpu_target_percent  = 60
    requests_per_target = 1000
  }
}

variable "worker" {
  description = "Celery worker tasks: Fargate CPU units and MiB, queues, processes per task, the fewest and most tasks, the CPU percentage autoscaling aims at."
  type = object({
    cpu                = number
    memory             = number
    queues             = string
    concurrency        = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
  })
  default = {
    cpu                = 1024
    memory             = 4096
    queues             = "alerts,exports,statistics,default"
    concurrency        = 2
    min_count          = 2
    max_count          = 8
    cpu_target_percent = 60
  }
}

variable "beat" {
  description = "Celery beat's task size (Fargate CPU units and MiB); exactly one runs, always."
  type = object({
    cpu    = number
    memory = number
  })
  default = {
    cpu    = 256
    memory = 512
  }
}

variable "clamd" {
  description = "clamd tasks: Fargate CPU units and MiB (signatures take about 3 GiB while reloading) and how many run."
  type = object({
    cpu    = number
    memory = number
    count  = number
  })
  default = {
    cpu    = 1024
    memory = 4096
    count  = 2
  }
}

variable "migrate" {
  description = "The one-off migration task's size (Fargate CPU units and MiB)."
  type = object({
    cpu    = number
    memory = number
  })
  default = {
    cpu    = 512
    memory = 1024
  }
}

variable "target_group_arn" {
  description = "Target group the web tasks register in."
  type        = string
}

variable "alb_request_count_label" {
  description = "\"<load balancer ARN suffix>/<target group ARN suffix>\": the request-count metric web scaling follows."
  type        = string
}

variable "log_group_names" {
  description = "CloudWatch log group of each process: keys web, worker, beat, migrate, clamd and exec."
  type        = map(string)
}

variable "database_url_secret_arn" {
  description = "Secret of the application role; its \"url\" key becomes DATABASE_URL."
  type        = string
}

variable "database_owner_url_secret_arn" {
  description = "Secret of the owner role; its \"url\" key becomes DATABASE_OWNER_URL."
  type        = string
}

variable "owner_url_processes" {
  description = "Processes given DATABASE_OWNER_URL: migrations, and whatever creates, restores or destroys a school."
  type        = list(string)
  default     = ["web", "worker", "migrate"]
}

variable "redis_url_secret_arn" {
  description = "Secret holding REDIS_URL."
  type        = string
}

variable "secret_kms_key_arns" {
  description = "KMS keys of the database and Redis secrets, which the tasks' execution role may decrypt."
  type        = list(string)
}

variable "documents_bucket_name" {
  description = "S3_BUCKET."
  type        = string
}

variable "documents_bucket_arn" {
  description = "ARN of the documents bucket."
  type        = string
}

variable "chain_heads_bucket_name" {
  description = "CHAIN_HEADS_BUCKET."
  type        = string
}

variable "chain_heads_bucket_arn" {
  description = "ARN of the chain heads bucket."
  type        = string
}

variable "chain_heads_retention_days" {
  description = "CHAIN_HEADS_RETENTION_DAYS: the retention each chain head is written with."
  type        = number
}

variable "storage_kms_key_arn" {
  description = "S3_KMS_KEY_ID: the KMS key of both buckets."
  type        = string
}

variable "region" {
  description = "S3_REGION and the region of the tasks' logs."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
