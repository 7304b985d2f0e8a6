variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "vigil"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: lowercase letters, digits and dashes, 2-21 characters."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, demo)."
  type        = string
  default     = "prod"
}

variable "allowed_regions" {
  description = "Regions this deployment may run in (data residency). The region must be one of them."
  type        = list(string)
  default     = ["eu-west-1", "eu-central-1"]
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = contains(var.allowed_regions, var.region)
    error_message = "region must be one of allowed_regions."
  }
}

variable "allowed_account_ids" {
  description = "AWS account ids Terraform may act on; empty means any (set it)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Network ---------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to spread subnets over (2 or 3)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "ingress_cidrs" {
  description = "Client CIDRs allowed to reach the load balancer. Narrow it to your payment gateways where you can."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

# --- Service ---------------------------------------------------------------------------------

variable "container_image" {
  description = "vigil image pinned by digest, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vigil@sha256:..."
  type        = string

  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.container_image))
    error_message = "container_image must be pinned by digest (...@sha256:<64 hex>), never a mutable tag."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding the image (the task may pull from it only)."
  type        = string
}

variable "container_port" {
  description = "Port vigil listens on inside the task (TLS)."
  type        = number
  default     = 8443
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 2048
}

variable "desired_count" {
  description = "Number of vigil tasks."
  type        = number
  default     = 2
}

variable "certificate_arn" {
  description = "ACM certificate for the load balancer's HTTPS listener."
  type        = string
}

variable "model_pubkey" {
  description = "VIGIL_MODEL_PUBKEY: the Ed25519 public key (base64) model files must be signed with. Not secret; empty = hash check only."
  type        = string
  default     = ""
}

variable "secret_names" {
  description = <<-EOT
    The VIGIL_* secrets, one Secrets Manager secret each, handed to the task as environment
    variables. Keep the list in step with .env.example. The TLS pair's names follow
    internal/config when it lands (issue 3/7).
  EOT
  type        = list(string)
  default = [
    "VIGIL_PSEUDONYM_KEY",
    "VIGIL_DATA_KEY",
    "VIGIL_POSTGRES_URL",
    "VIGIL_TLS_CERT",
    "VIGIL_TLS_KEY",
  ]

  validation {
    condition     = alltrue([for s in var.secret_names : can(regex("^VIGIL_[A-Z0-9_]+$", s))])
    error_message = "secret_names must all be VIGIL_* variable names."
  }
}

variable "extra_environment" {
  description = "Extra non-secret VIGIL_* settings for the task."
  type        = map(string)
  default     = {}
}

# --- Data ------------------------------------------------------------------------------------

variable "demo_data_retention_days" {
  description = "Days before objects under demo/ in the model bucket are deleted."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Retention of CloudWatch log groups and of the access-log bucket (days)."
  type        = number
  default     = 365
}

variable "db_engine_version" {
  description = "PostgreSQL engine version."
  type        = string
  default     = "16.6"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial database storage (GiB)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 200
}

variable "db_backup_retention_days" {
  description = "Automated backup retention (days, 7-35)."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "db_multi_az" {
  description = "Run the database in two availability zones."
  type        = bool
  default     = true
}

# --- Alarms ----------------------------------------------------------------------------------

variable "alarm_email" {
  description = "Optional address subscribed to the alarm topic (confirm the subscription mail)."
  type        = string
  default     = ""
}

variable "alarm_5xx_per_minute" {
  description = "5xx responses in one minute that raise an alarm."
  type        = number
  default     = 10
}

variable "alarm_4xx_per_minute" {
  description = "4xx responses in one minute that raise an alarm (credential stuffing, scanning, a broken client)."
  type        = number
  default     = 300
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP address before the WAF blocks it."
  type        = number
  default     = 20000
}
