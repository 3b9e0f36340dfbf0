output "primary_identifier" {
  description = "RDS identifier of the primary (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.primary.identifier
}

output "replica_identifier" {
  description = "RDS identifier of the read replica."
  value       = aws_db_instance.replica.identifier
}

output "primary_address" {
  description = "Host name of the primary."
  value       = aws_db_instance.primary.address
}

output "replica_address" {
  description = "Host name of the read replica (reading only)."
  value       = aws_db_instance.replica.address
}

output "owner_secret_arn" {
  description = "Secrets Manager secret of the owner role; its \"url\" key is DATABASE_OWNER_URL."
  value       = aws_secretsmanager_secret.role["owner"].arn
}

output "app_secret_arn" {
  description = "Secrets Manager secret of the application role; its \"url\" key is DATABASE_URL."
  value       = aws_secretsmanager_secret.role["app"].arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the database, its snapshots and its secrets."
  value       = aws_kms_key.this.arn
}
