locals {
  alarms_on   = var.enable_alarms ? 1 : 0
  alarm_topic = [aws_sns_topic.alarms.arn]
}

# --- the load balancer: errors and latency ------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-http-5xx-rate"
  alarm_description   = "More than ${var.error_rate_percent}% of requests answered with a 5xx over 5 minutes (load balancer's and application's)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * (elb5xx + target5xx) / requests, 0)"
    label       = "5xx percentage"
    return_data = true
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "response_time" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-response-time-p95"
  alarm_description   = "95th percentile of the web containers' response time above ${var.response_time_p95_seconds}s for 15 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.response_time_p95_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "healthy_hosts" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-no-healthy-web"
  alarm_description   = "No web container passes /readyz (PostgreSQL unreachable, or every web task down)."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

# --- PostgreSQL ---------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-db-cpu"
  alarm_description   = "PostgreSQL primary CPU above ${var.db_cpu_percent}% for 15 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_primary_identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.db_cpu_percent
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_storage" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-db-free-storage"
  alarm_description   = "PostgreSQL primary has less than ${var.db_free_storage_bytes} bytes free (storage autoscaling stuck or at its ceiling)."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_primary_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_free_storage_bytes
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_replica_lag" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-db-replica-lag"
  alarm_description   = "The read replica is more than ${var.db_replica_lag_seconds}s behind the primary for 10 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  dimensions          = { DBInstanceIdentifier = var.db_replica_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.db_replica_lag_seconds
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

# --- Redis: the queue -----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "cache_memory" {
  for_each            = var.enable_alarms ? toset(var.cache_cluster_ids) : toset([])
  alarm_name          = "${var.name}-redis-memory-${each.key}"
  alarm_description   = "Redis node ${each.key} above ${var.cache_memory_percent}% of its memory: queued tasks piling up (workers stopped or too few)."
  namespace           = "AWS/ElastiCache"
  metric_name         = "DatabaseMemoryUsagePercentage"
  dimensions          = { CacheClusterId = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cache_memory_percent
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cache_cpu" {
  for_each            = var.enable_alarms ? toset(var.cache_cluster_ids) : toset([])
  alarm_name          = "${var.name}-redis-engine-cpu-${each.key}"
  alarm_description   = "Redis node ${each.key}'s engine thread above 80% CPU for 15 minutes."
  namespace           = "AWS/ElastiCache"
  metric_name         = "EngineCPUUtilization"
  dimensions          = { CacheClusterId = each.key }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

# --- ECS: running tasks (Container Insights) ----------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  for_each            = var.enable_alarms ? var.ecs_services : {}
  alarm_name          = "${var.name}-${each.key}-running-tasks"
  alarm_description   = "Fewer than ${each.value} ${each.key} tasks running for 5 minutes."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = each.value
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}

# Two beats would send every periodic task twice.
resource "aws_cloudwatch_metric_alarm" "beat_duplicated" {
  count               = local.alarms_on
  alarm_name          = "${var.name}-beat-more-than-one"
  alarm_description   = "More than one Celery beat task running for 5 minutes: periodic tasks are sent twice."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = var.beat_service_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
  tags                = var.tags
}
