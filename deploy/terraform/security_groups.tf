# Least access, by security group reference rather than CIDR wherever possible:
#   clients   -> alb  : 443 (and 80, which only redirects to 443)
#   alb       -> app  : container_port (HTTPS: the load balancer re-encrypts to the task)
#   app       -> db   : 5432
#   app       -> AWS  : 443 to the interface endpoints and the S3 gateway endpoint; nothing else
# A security group with no egress rule allows no egress.

resource "aws_security_group" "alb" {
  name        = "${local.prefix}-alb"
  description = "vigil load balancer: HTTPS from clients, HTTPS to the service"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "app" {
  name        = "${local.prefix}-app"
  description = "vigil tasks: HTTPS from the load balancer only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "db" {
  name        = "${local.prefix}-db"
  description = "vigil database: PostgreSQL from the tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "endpoints" {
  name        = "${local.prefix}-endpoints"
  description = "VPC interface endpoints: HTTPS from the tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group_rule" "alb_in_https" {
  type              = "ingress"
  description       = "HTTPS from clients"
  security_group_id = aws_security_group.alb.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = var.ingress_cidrs
}

resource "aws_security_group_rule" "alb_in_http" {
  type              = "ingress"
  description       = "HTTP from clients, answered only with a redirect to HTTPS"
  security_group_id = aws_security_group.alb.id
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_blocks       = var.ingress_cidrs
}

resource "aws_security_group_rule" "alb_out_app" {
  type                     = "egress"
  description              = "HTTPS to the vigil tasks"
  security_group_id        = aws_security_group.alb.id
  protocol                 = "tcp"
  from_port                = var.container_port
  to_port                  = var.container_port
  source_security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "app_in_alb" {
  type                     = "ingress"
  description              = "HTTPS from the load balancer"
  security_group_id        = aws_security_group.app.id
  protocol                 = "tcp"
  from_port                = var.container_port
  to_port                  = var.container_port
  source_security_group_id = aws_security_group.alb.id
}

resource "aws_security_group_rule" "app_out_endpoints" {
  type                     = "egress"
  description              = "HTTPS to the AWS API endpoints in the VPC"
  security_group_id        = aws_security_group.app.id
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
  source_security_group_id = aws_security_group.endpoints.id
}

resource "aws_security_group_rule" "app_out_s3" {
  type              = "egress"
  description       = "HTTPS to S3 through the gateway endpoint (models, ECR image layers)"
  security_group_id = aws_security_group.app.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_ids   = [aws_vpc_endpoint.s3.prefix_list_id]
}

resource "aws_security_group_rule" "app_out_db" {
  type                     = "egress"
  description              = "PostgreSQL to the database"
  security_group_id        = aws_security_group.app.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.db.id
}

resource "aws_security_group_rule" "db_in_app" {
  type                     = "ingress"
  description              = "PostgreSQL from the vigil tasks"
  security_group_id        = aws_security_group.db.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "endpoints_in_app" {
  type                     = "ingress"
  description              = "HTTPS from the vigil tasks"
  security_group_id        = aws_security_group.endpoints.id
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
  source_security_group_id = aws_security_group.app.id
}
