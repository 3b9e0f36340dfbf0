# RDS PostgreSQL: a Multi-AZ primary encrypted with its own KMS key, 35 days of point-in-time
# recovery, deletion protection, TLS required; a read replica; the owner's and the application's
# credentials in two Secrets Manager secrets.

data "aws_caller_identity" "current" {}

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

resource "aws_kms_key" "this" {
  description             = "${var.name}: PostgreSQL storage, snapshots, Performance Insights and the database secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-database"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_db_subnet_group" "this" {
  name       = "${var.name}-database"
  subnet_ids = var.private_subnet_ids
  tags       = var.tags
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-postgres"
  family      = var.parameter_group_family
  description = "TLS required; slow statements, connections, lock waits and DDL logged without parameter values"
  tags        = var.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.slow_statement_ms)
  }
  # Bound parameters can hold a child's name: never written to the log.
  parameter {
    name  = "log_parameter_max_length"
    value = "0"
  }
  parameter {
    name  = "log_parameter_max_length_on_error"
    value = "0"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }
  parameter {
    name  = "log_temp_files"
    value = "0"
  }
  parameter {
    name  = "log_autovacuum_min_duration"
    value = "10000"
  }
}

resource "random_password" "owner" {
  length  = 40
  special = false
}

resource "random_password" "app" {
  length  = 40
  special = false
}

# Exported PostgreSQL logs: created here so they get a retention period and the log key.
resource "aws_cloudwatch_log_group" "postgresql" {
  for_each          = toset([var.name, "${var.name}-replica"])
  name              = "/aws/rds/instance/${each.key}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "primary" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name  = var.database_name
  username = var.owner_username
  password = random_password.owner.result
  port     = 5432

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.this.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period   = var.backup_retention_days
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.postgresql]
}

# Reports and ad-hoc reading, never the application's writes. Same region, so it inherits the
# primary's encryption key.
resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_157:a read replica for reporting; the primary is Multi-AZ and failover never needs the replica
  identifier          = "${var.name}-replica"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = var.replica_instance_class

  storage_encrypted      = true
  kms_key_id             = aws_kms_key.this.arn
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name
  multi_az               = false

  backup_retention_period = 7
  maintenance_window      = var.maintenance_window
  copy_tags_to_snapshot   = true
  deletion_protection     = true
  skip_final_snapshot     = true

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.postgresql]
}

# --- credentials: one secret per role -----------------------------------------------------------
# Each secret is JSON; the containers take its "url" key (DATABASE_OWNER_URL, DATABASE_URL).
# sslmode=require: the parameter group refuses plain connections anyway.

locals {
  roles = {
    owner = { username = var.owner_username, password = random_password.owner.result }
    app   = { username = var.app_username, password = random_password.app.result }
  }
}

resource "aws_secretsmanager_secret" "role" {
  #checkov:skip=CKV2_AWS_57:the secret holds a whole URL the single-user rotation Lambda does not rewrite; rotated by hand per the README
  for_each                = local.roles
  name                    = "${var.name}/database/${each.key}"
  description             = each.key == "owner" ? "PostgreSQL owner role (migrations, school provisioning): DATABASE_OWNER_URL" : "PostgreSQL application role: DATABASE_URL"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "role" {
  for_each  = local.roles
  secret_id = aws_secretsmanager_secret.role[each.key].id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = aws_db_instance.primary.address
    port     = aws_db_instance.primary.port
    dbname   = var.database_name
    username = each.value.username
    password = each.value.password
    url      = "postgres://${each.value.username}:${each.value.password}@${aws_db_instance.primary.address}:${aws_db_instance.primary.port}/${var.database_name}?sslmode=require"
  })
}
