# BACKUP_ROOT (docs/backups.md): the nightly backups of each school, written by the workers onto a
# volume of its own, encrypted with its own key, not the container's disk. EFS, mounted in the
# worker tasks only, through an access point owned by the image's user. AWS Backup copies the
# volume (its default plan keeps each copy 35 days, no longer than the backups themselves).

resource "aws_kms_key" "backups" {
  description             = "${var.name}: the nightly backups volume"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "backups" {
  name          = "alias/${var.name}-backups"
  target_key_id = aws_kms_key.backups.key_id
}

resource "aws_efs_file_system" "backups" {
  creation_token   = "${var.name}-backups"
  encrypted        = true
  kms_key_id       = aws_kms_key.backups.arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"
  tags             = merge(var.tags, { Name = "${var.name}-backups" })
}

resource "aws_efs_backup_policy" "backups" {
  file_system_id = aws_efs_file_system.backups.id
  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_mount_target" "backups" {
  count           = length(var.private_subnet_ids)
  file_system_id  = aws_efs_file_system.backups.id
  subnet_id       = var.private_subnet_ids[count.index]
  security_groups = [var.backups_security_group_id]
}

# The image runs as 10001:10001; backups are readable by that account alone (0700).
resource "aws_efs_access_point" "backups" {
  file_system_id = aws_efs_file_system.backups.id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/backups"
    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0700"
    }
  }

  tags = var.tags
}

# Only through the access point, only over TLS, only by the application's task role.
data "aws_iam_policy_document" "backups_volume" {
  statement {
    sid       = "ApplicationThroughAccessPoint"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.backups.arn]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.app.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.backups.arn]
    }
  }

  statement {
    sid       = "DenyPlainNFS"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.backups.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_efs_file_system_policy" "backups" {
  file_system_id = aws_efs_file_system.backups.id
  policy         = data.aws_iam_policy_document.backups_volume.json
}
