# Alarms go to one SNS topic (encrypted with the logs key):
#   - bursts of 5xx from the load balancer or the service, and of 4xx (credential stuffing,
#     scanning, a broken client), per minute
#   - no healthy task behind the load balancer
#   - from CloudTrail: unauthorised API calls, use of the root user, security group changes,
#     and KMS keys being disabled or scheduled for deletion

resource "aws_sns_topic" "alarms" {
  name              = "${local.prefix}-alarms"
  kms_master_key_id = aws_kms_key.logs.arn
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alb_dimensions = { LoadBalancer = aws_lb.main.arn_suffix }
  tg_dimensions  = { LoadBalancer = aws_lb.main.arn_suffix, TargetGroup = aws_lb_target_group.app.arn_suffix }

  http_alarms = {
    "alb-5xx"    = { metric = "HTTPCode_ELB_5XX_Count", threshold = var.alarm_5xx_per_minute, dims = local.alb_dimensions, what = "5xx responses from the load balancer" }
    "target-5xx" = { metric = "HTTPCode_Target_5XX_Count", threshold = var.alarm_5xx_per_minute, dims = local.tg_dimensions, what = "5xx responses from vigil" }
    "target-4xx" = { metric = "HTTPCode_Target_4XX_Count", threshold = var.alarm_4xx_per_minute, dims = local.tg_dimensions, what = "4xx responses from vigil (auth failures, scanning, bad clients)" }
  }

  # CloudTrail metric filters, after the CIS AWS Foundations Benchmark.
  trail_alarms = {
    "unauthorized-api-calls" = {
      pattern = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
      what    = "API calls denied for lack of permission"
    }
    "root-user" = {
      pattern = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
      what    = "use of the root user"
    }
    "security-group-changes" = {
      pattern = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"
      what    = "security group changes"
    }
    "kms-key-disabled-or-deleted" = {
      pattern = "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"
      what    = "KMS keys disabled or scheduled for deletion"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "http" {
  for_each            = local.http_alarms
  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = "Burst of ${each.value.what}."
  namespace           = "AWS/ApplicationELB"
  metric_name         = each.value.metric
  dimensions          = each.value.dims
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "no_healthy_task" {
  alarm_name          = "${local.prefix}-no-healthy-task"
  alarm_description   = "No healthy vigil task behind the load balancer."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.tg_dimensions
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_log_metric_filter" "trail" {
  for_each       = local.trail_alarms
  name           = "${local.prefix}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = "vigil/${local.prefix}/security"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "trail" {
  for_each            = local.trail_alarms
  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = "CloudTrail: ${each.value.what}."
  namespace           = "vigil/${local.prefix}/security"
  metric_name         = each.key
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  depends_on          = [aws_cloudwatch_log_metric_filter.trail]
}
