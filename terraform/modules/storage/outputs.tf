output "documents_bucket_name" {
  description = "S3_BUCKET: documents and exports under documents/, policy files under policies/."
  value       = aws_s3_bucket.documents.id
}

output "documents_bucket_arn" {
  description = "ARN of the documents bucket."
  value       = aws_s3_bucket.documents.arn
}

output "chain_heads_bucket_name" {
  description = "CHAIN_HEADS_BUCKET: the Object Lock bucket of the nightly chain heads."
  value       = aws_s3_bucket.chain_heads.id
}

output "chain_heads_bucket_arn" {
  description = "ARN of the chain heads bucket."
  value       = aws_s3_bucket.chain_heads.arn
}

output "chain_heads_retention_days" {
  description = "Default compliance-mode retention of each chain head, in days (CHAIN_HEADS_RETENTION_DAYS)."
  value       = var.chain_heads_retention_days
}

output "logs_bucket_name" {
  description = "Bucket of the load balancer's access logs (prefix alb/) and the S3 access logs (prefix s3/)."
  value       = aws_s3_bucket.logs.id
  # The load balancer checks that it may write there when it is created.
  depends_on = [aws_s3_bucket_policy.this]
}

output "kms_key_arn" {
  description = "S3_KMS_KEY_ID: the KMS key of the documents and chain heads buckets."
  value       = aws_kms_key.this.arn
}
