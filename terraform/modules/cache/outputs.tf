output "replication_group_id" {
  description = "ID of the Redis replication group."
  value       = aws_elasticache_replication_group.this.id
}

output "member_clusters" {
  description = "Cache cluster IDs of the nodes (CloudWatch dimension CacheClusterId), known before the group exists: ElastiCache names them <group>-001, <group>-002, ..."
  value       = [for index in range(var.node_count) : format("%s-%03d", aws_elasticache_replication_group.this.replication_group_id, index + 1)]
}

output "primary_endpoint_address" {
  description = "Host name of the current primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "redis_url_secret_arn" {
  description = "Secrets Manager secret holding REDIS_URL."
  value       = aws_secretsmanager_secret.redis_url.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting Redis at rest and REDIS_URL."
  value       = aws_kms_key.this.arn
}
