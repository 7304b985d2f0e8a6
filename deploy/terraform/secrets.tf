# One Secrets Manager secret per VIGIL_* secret, encrypted with the data key. Terraform creates
# the containers only: values are written out of band, so they never appear in plan output
# or state:
#
#   aws secretsmanager put-secret-value --secret-id vigil-prod/VIGIL_PSEUDONYM_KEY \
#     --secret-string "$(openssl rand -base64 32)"
#
# The task receives each as an environment variable of the same name (ecs.tf).

resource "aws_secretsmanager_secret" "vigil" {
  for_each                = toset(var.secret_names)
  name                    = "${local.prefix}/${each.key}"
  description             = "vigil ${each.key} (value set out of band, never in Terraform)"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}
