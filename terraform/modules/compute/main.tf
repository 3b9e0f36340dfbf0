# ECS Fargate: one cluster; services for web (behind the load balancer), Celery worker, Celery beat
# (exactly one) and clamd (found by the others as clamd.<namespace> through Cloud Map); a one-off
# migration task definition run before each deploy. Every secret comes from Secrets Manager.

data "aws_caller_identity" "current" {}

# --- the application's own secrets --------------------------------------------------------------

data "aws_iam_policy_document" "key" {
  # A key policy: its "*" resource is this key alone; the account's IAM policies decide who uses it.
  #checkov:skip=CKV_AWS_109:key policy, "*" means this key; IAM in the account grants the rest
  #checkov:skip=CKV_AWS_111:key policy, "*" means this key; IAM in the account grants the rest
  #checkov:skip=CKV_AWS_356:key policy, "*" means this key; IAM in the account grants the rest
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "secrets" {
  description             = "${var.name}: the application's secrets and ECS Exec sessions"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.name}-app-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

# A Fernet key: 32 random bytes, URL-safe base64.
resource "random_bytes" "totp_key" {
  length = 32
}

locals {
  app_secrets = {
    SECRET_KEY          = random_password.secret_key.result
    TOTP_ENCRYPTION_KEY = replace(replace(random_bytes.totp_key.base64, "+", "-"), "/", "_")
    # Filled in by the operator (smtp+tls://user:password@host:587); see the README.
    EMAIL_URL = "smtp+tls://CHANGE-ME:CHANGE-ME@email-smtp.${var.region}.amazonaws.com:587"
  }
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:SECRET_KEY and TOTP keys need the application's key lists (old and new at once); rotated by hand per the README
  for_each                = local.app_secrets
  name                    = "${var.name}/app/${each.key}"
  description             = "${each.key} of every application process"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

# Rotated by hand afterwards (TOTP_ENCRYPTION_KEY takes several keys, newest first): Terraform
# writes the first value only.
resource "aws_secretsmanager_secret_version" "app" {
  for_each      = local.app_secrets
  secret_id     = aws_secretsmanager_secret.app[each.key].id
  secret_string = each.value

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# --- roles --------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# Execution role: pulls the images, writes the logs, reads the secrets into the environment.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = concat(
      [for secret in aws_secretsmanager_secret.app : secret.arn],
      [var.database_url_secret_arn, var.database_owner_url_secret_arn, var.redis_url_secret_arn],
    )
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = concat([aws_kms_key.secrets.arn], var.secret_kms_key_arns)
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# Task role of the application: the documents bucket as docs/operations.md lists, the chain heads
# bucket write-once, ECS Exec.
resource "aws_iam_role" "app" {
  name               = "${var.name}-app"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Documents"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.documents_bucket_arn}/*"]
  }
  statement {
    sid       = "DocumentsList"
    actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]
    resources = [var.documents_bucket_arn]
  }
  statement {
    sid       = "DocumentVersions"
    actions   = ["s3:GetObjectVersion"]
    resources = ["${var.documents_bucket_arn}/*"]
  }
  statement {
    sid       = "ChainHeadsWriteOnce"
    actions   = ["s3:PutObject", "s3:PutObjectRetention", "s3:GetObject", "s3:GetObjectRetention"]
    resources = ["${var.chain_heads_bucket_arn}/*"]
  }
  statement {
    sid       = "ChainHeadsList"
    actions   = ["s3:ListBucket"]
    resources = [var.chain_heads_bucket_arn]
  }
  statement {
    sid       = "BackupsVolume"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.backups.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.backups.arn]
    }
  }
  statement {
    sid       = "StorageKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.storage_kms_key_arn]
  }
  statement {
    sid = "ExecSessions"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "ExecSessionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:aws:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:${var.log_group_names["exec"]}:*"]
  }
  statement {
    sid       = "ExecSessionKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.secrets.arn]
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "application"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

# clamd needs nothing from AWS beyond its logs (the execution role's).
resource "aws_iam_role" "clamd" {
  name               = "${var.name}-clamd"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

# --- cluster ------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.secrets.arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = var.log_group_names["exec"]
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = "${var.name}.internal"
  description = "Private names of the internal services (clamd)"
  vpc         = var.vpc_id
  tags        = var.tags
}

resource "aws_service_discovery_service" "clamd" {
  name = "clamd"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }

  tags = var.tags
}
