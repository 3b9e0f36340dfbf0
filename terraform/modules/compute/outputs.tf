output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS service of each long-running process: web, worker, beat, clamd."
  value = {
    web    = aws_ecs_service.web.name
    worker = aws_ecs_service.worker.name
    beat   = aws_ecs_service.beat.name
    clamd  = aws_ecs_service.clamd.name
  }
}

output "migrate_task_definition_arn" {
  description = "Task definition of the one-off migration task (run it before each deploy; README)."
  value       = aws_ecs_task_definition.app["migrate"].arn
}

output "task_definition_arns" {
  description = "Task definition of each application process."
  value       = { for process, definition in aws_ecs_task_definition.app : process => definition.arn }
}

output "backups_file_system_id" {
  description = "EFS file system of BACKUP_ROOT (mounted in the worker tasks)."
  value       = aws_efs_file_system.backups.id
}

output "clamd_host" {
  description = "CLAMD_HOST: clamd's private DNS name."
  value       = local.clamd_host
}

output "app_secret_arns" {
  description = "Secrets Manager secrets of SECRET_KEY, TOTP_ENCRYPTION_KEY and EMAIL_URL."
  value       = { for key, secret in aws_secretsmanager_secret.app : key => secret.arn }
}

output "app_task_role_arn" {
  description = "IAM role of the application tasks (S3, KMS, ECS Exec)."
  value       = aws_iam_role.app.arn
}

output "execution_role_arn" {
  description = "IAM role ECS uses to start the tasks (images, logs, secrets)."
  value       = aws_iam_role.execution.arn
}
