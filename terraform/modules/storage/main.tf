# S3: the private documents bucket (documents, exports, policy files), the write-once chain heads
# bucket (Object Lock, compliance mode) and a bucket for access logs (load balancer, S3).

data "aws_caller_identity" "current" {}
data "aws_elb_service_account" "current" {}

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
  description             = "${var.name}: documents and chain heads (S3_KMS_KEY_ID)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-storage"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  buckets = {
    documents   = aws_s3_bucket.documents
    chain_heads = aws_s3_bucket.chain_heads
    logs        = aws_s3_bucket.logs
  }
}

# --- documents ----------------------------------------------------------------------------------

resource "aws_s3_bucket" "documents" {
  bucket        = "${var.name}-documents"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "documents" {
  bucket = aws_s3_bucket.documents.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "documents" {
  bucket = aws_s3_bucket.documents.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "documents" {
  bucket = aws_s3_bucket.documents.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.documents]
}

resource "aws_s3_bucket_logging" "documents" {
  bucket        = aws_s3_bucket.documents.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/documents/"
}

# --- chain heads: write once --------------------------------------------------------------------

resource "aws_s3_bucket" "chain_heads" {
  bucket              = "${var.name}-chain-heads"
  object_lock_enabled = true
  force_destroy       = false
  tags                = var.tags
}

resource "aws_s3_bucket_versioning" "chain_heads" {
  bucket = aws_s3_bucket.chain_heads.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "chain_heads" {
  bucket = aws_s3_bucket.chain_heads.id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = var.chain_heads_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.chain_heads]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "chain_heads" {
  bucket = aws_s3_bucket.chain_heads.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

# Locked versions cannot expire early; this only clears failed uploads.
resource "aws_s3_bucket_lifecycle_configuration" "chain_heads" {
  bucket = aws_s3_bucket.chain_heads.id
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_logging" "chain_heads" {
  bucket        = aws_s3_bucket.chain_heads.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/chain-heads/"
}

# --- access logs --------------------------------------------------------------------------------
# Load balancer access logs and S3 server access logs support SSE-S3 only.

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145:load balancer and S3 server access logs can be delivered to SSE-S3 buckets only
  #checkov:skip=CKV_AWS_18:the access-log bucket itself; logging it into itself would loop
  bucket        = "${var.name}-logs"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

# --- every bucket: private, owner-enforced, TLS only ---------------------------------------------

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid     = "DenyPlainHTTP"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "LoadBalancerAccessLogs"
      actions   = ["s3:PutObject"]
      resources = ["${each.value.arn}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
      principals {
        type        = "AWS"
        identifiers = [data.aws_elb_service_account.current.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "S3ServerAccessLogs"
      actions   = ["s3:PutObject"]
      resources = ["${each.value.arn}/s3/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets
  bucket   = each.value.id
  policy   = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
