output "load_balancer_dns_name" {
  description = "Point your DNS name (the certificate's) at this."
  value       = aws_lb.main.dns_name
}

output "model_bucket" {
  description = "Bucket for model files (models/) and demo data (demo/, expires)."
  value       = aws_s3_bucket.models.id
}

output "secret_ids" {
  description = "Secrets Manager secrets to fill with put-secret-value, by VIGIL_* name."
  value       = { for k, s in aws_secretsmanager_secret.vigil : k => s.name }
}

output "database_endpoint" {
  description = "PostgreSQL endpoint (private)."
  value       = aws_db_instance.main.endpoint
}

output "database_master_secret_arn" {
  description = "The RDS-managed master credentials (for creating vigil's own role only)."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = aws_sns_topic.alarms.arn
}
