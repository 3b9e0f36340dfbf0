output "log_kms_key_arn" {
  description = "KMS key encrypting every log group and the alarm topic."
  value       = aws_kms_key.logs.arn
}

output "log_group_names" {
  description = "Log group of each process: web, worker, beat, migrate, clamd and exec (ECS Exec sessions)."
  value       = { for process, group in aws_cloudwatch_log_group.process : process => group.name }
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm is sent to."
  value       = aws_sns_topic.alarms.arn
}
