# vigil on ECS Fargate: tasks in private subnets without public IP addresses, a read-only root
# filesystem, a non-root user, every Linux capability dropped, no ECS Exec (no shell into a
# task), secrets injected from Secrets Manager, logs to an encrypted log group.

resource "aws_ecs_cluster" "main" {
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/vigil/${local.prefix}/service"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

locals {
  environment = merge(var.extra_environment, {
    VIGIL_ENV          = "production"
    VIGIL_ADDR         = "0.0.0.0:${var.container_port}"
    VIGIL_DATA_DIR     = "/var/lib/vigil/data"
    VIGIL_MODEL_PUBKEY = var.model_pubkey
  })

  container = {
    name                   = "vigil"
    image                  = var.container_image
    essential              = true
    command                = ["serve"]
    user                   = "65532:65532"
    readonlyRootFilesystem = true
    privileged             = false

    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]

    environment = [for k, v in local.environment : { name = k, value = v } if v != ""]
    secrets     = [for k, s in aws_secretsmanager_secret.vigil : { name = k, valueFrom = s.arn }]

    mountPoints = [
      { sourceVolume = "data", containerPath = "/var/lib/vigil/data", readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]

    linuxParameters = {
      capabilities       = { drop = ["ALL"] }
      initProcessEnabled = true
    }

    # distroless has no shell: the binary checks its own /healthz.
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/vigil", "healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "vigil"
      }
    }
  }
}

resource "aws_ecs_task_definition" "vigil" {
  family                   = local.prefix
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Task-local scratch space (Fargate ephemeral storage, encrypted by AWS). With PostgreSQL as
  # the store, nothing here has to outlive the task.
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
}

resource "aws_ecs_service" "vigil" {
  name                   = "vigil"
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.vigil.arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = aws_subnet.app[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "vigil"
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}
