# --- task definitions ---------------------------------------------------------------------------

locals {
  clamd_host = "clamd.${aws_service_discovery_private_dns_namespace.this.name}"

  # Every application process: the settings of docs/operations.md, plain ones here, secret ones
  # from Secrets Manager.
  common_environment = {
    ENVIRONMENT                = "production"
    BASE_DOMAIN                = var.domain_name
    DEFAULT_FROM_EMAIL         = var.default_from_email
    S3_BUCKET                  = var.documents_bucket_name
    S3_REGION                  = var.region
    S3_KMS_KEY_ID              = var.storage_kms_key_arn
    CHAIN_HEADS_BUCKET         = var.chain_heads_bucket_name
    CHAIN_HEADS_RETENTION_DAYS = tostring(var.chain_heads_retention_days)
    CLAMD_HOST                 = local.clamd_host
    CLAMD_PORT                 = "3310"
    CLAMD_TIMEOUT              = "30"
    LOG_LEVEL                  = var.log_level
    # The migration task runs them, once, before each deploy.
    MIGRATE_ON_START = "false"
  }

  common_secrets = merge(
    { for key, secret in aws_secretsmanager_secret.app : key => secret.arn },
    {
      DATABASE_URL = "${var.database_url_secret_arn}:url::"
      REDIS_URL    = var.redis_url_secret_arn
    },
  )

  owner_secret = { DATABASE_OWNER_URL = "${var.database_owner_url_secret_arn}:url::" }

  # The nightly backups (docs/backups.md): written by the workers, onto the backups volume.
  backup_root = "/var/backups/safeguarding"

  processes = {
    web = {
      command = ["web"]
      cpu     = var.web.cpu
      memory  = var.web.memory
      environment = {
        GUNICORN_WORKERS = tostring(var.web.gunicorn_workers)
        GUNICORN_THREADS = tostring(var.web.gunicorn_threads)
      }
      port = 8000
    }
    worker = {
      command = ["worker"]
      cpu     = var.worker.cpu
      memory  = var.worker.memory
      environment = {
        WORKER_QUEUES      = var.worker.queues
        WORKER_CONCURRENCY = tostring(var.worker.concurrency)
        BACKUP_ROOT        = local.backup_root
        BACKUP_KEEP_DAYS   = tostring(var.backup_keep_days)
      }
      port = null
    }
    beat = {
      command     = ["beat"]
      cpu         = var.beat.cpu
      memory      = var.beat.memory
      environment = {}
      port        = null
    }
    migrate = {
      command     = ["migrate"]
      cpu         = var.migrate.cpu
      memory      = var.migrate.memory
      environment = {}
      port        = null
    }
  }
}

resource "aws_ecs_task_definition" "app" {
  #checkov:skip=CKV_AWS_336:the image writes /tmp as user 10001; a Fargate bind mount there is owned by root
  for_each                 = local.processes
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.app.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    for_each = each.key == "worker" ? [1] : []
    content {
      name = "backups"
      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.backups.id
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = aws_efs_access_point.backups.id
          iam             = "ENABLED"
        }
      }
    }
  }

  container_definitions = jsonencode([
    {
      name      = each.key
      image     = var.app_image
      essential = true
      command   = each.value.command
      # The image writes /tmp (fontconfig's cache, beat's schedule) as its non-root user.
      readonlyRootFilesystem = false
      user                   = "10001:10001"
      environment = [
        for key, value in merge(local.common_environment, each.value.environment) : { name = key, value = value }
      ]
      secrets = [
        for key, value in merge(
          local.common_secrets,
          contains(var.owner_url_processes, each.key) ? local.owner_secret : {},
        ) : { name = key, valueFrom = value }
      ]
      portMappings = each.value.port == null ? [] : [
        { containerPort = each.value.port, protocol = "tcp" }
      ]
      healthCheck = each.key == "web" ? {
        command     = ["CMD", "python", "/app/deploy/healthcheck.py"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      } : null
      mountPoints = each.key == "worker" ? [
        { sourceVolume = "backups", containerPath = local.backup_root, readOnly = false }
      ] : []
      linuxParameters = { initProcessEnabled = true }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_names[each.key]
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    }
  ])

  tags = var.tags
}

resource "aws_ecs_task_definition" "clamd" {
  #checkov:skip=CKV_AWS_336:the clamav image writes signatures, its socket and logs under its root filesystem
  family                   = "${var.name}-clamd"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.clamd.cpu
  memory                   = var.clamd.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.clamd.arn

  container_definitions = jsonencode([
    {
      name      = "clamd"
      image     = var.clamd_image
      essential = true
      # The image runs freshclam and clamd and writes its signatures under /var/lib/clamav.
      readonlyRootFilesystem = false
      portMappings           = [{ containerPort = 3310, protocol = "tcp" }]
      healthCheck = {
        command     = ["CMD", "clamdcheck.sh"]
        interval    = 60
        timeout     = 10
        retries     = 3
        startPeriod = 300
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_names["clamd"]
          awslogs-region        = var.region
          awslogs-stream-prefix = "clamd"
        }
      }
    }
  ])

  tags = var.tags
}
