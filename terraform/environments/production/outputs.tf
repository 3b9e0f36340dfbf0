output "url" {
  description = "The trust portal; schools are at https://<slug>.<domain>."
  value       = "https://${var.domain_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (the Route 53 records point at it)."
  value       = module.edge.alb_dns_name
}

output "ecs_cluster_name" {
  description = "ECS cluster of the services and of the migration task."
  value       = module.compute.cluster_name
}

output "migrate_task_definition_arn" {
  description = "The one-off migration task definition."
  value       = module.compute.migrate_task_definition_arn
}

output "private_subnet_ids" {
  description = "Subnets to run the migration task in."
  value       = module.network.private_subnet_ids
}

output "app_security_group_id" {
  description = "Security group to run the migration task with."
  value       = module.network.app_security_group_id
}

output "documents_bucket_name" {
  description = "S3_BUCKET."
  value       = module.storage.documents_bucket_name
}

output "chain_heads_bucket_name" {
  description = "CHAIN_HEADS_BUCKET."
  value       = module.storage.chain_heads_bucket_name
}

output "database_owner_secret_arn" {
  description = "Secret of the owner role (DATABASE_OWNER_URL)."
  value       = module.database.owner_secret_arn
}

output "database_app_secret_arn" {
  description = "Secret of the application role (DATABASE_URL)."
  value       = module.database.app_secret_arn
}

output "database_replica_address" {
  description = "Host name of the read replica."
  value       = module.database.replica_address
}

output "email_url_secret_arn" {
  description = "Secret to fill with EMAIL_URL before the first deploy."
  value       = module.compute.app_secret_arns["EMAIL_URL"]
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.alarm_topic_arn
}
